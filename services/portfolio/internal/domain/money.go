package domain

import (
	"math"

	"golang.org/x/text/currency"

	"reos.dev/pkg/apperr"
)

// Money is integer cents (the currency's minor unit ×100, as every other
// service stores money) in a portfolio's one currency. No float ever holds
// an amount: sums are int64 additions checked for overflow.

// MaxAmountCents bounds one ledger entry (and a declared cost basis):
// 10^13 cents, a hundred billion in major units. A million entries at the
// bound still sum within int64 (9.2·10^18) as long as they do not all
// point the same way; the checked sums below report the rest.
const MaxAmountCents int64 = 10_000_000_000_000

// ParseCurrency checks an ISO 4217 code: three upper-case letters that name
// a currency (golang.org/x/text/currency's table); field names it.
func ParseCurrency(field, code string) (string, error) {
	if len(code) != 3 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || code[2] < 'A' || code[2] > 'Z' {
		return "", apperr.Invalid(field, "must be an ISO 4217 currency code such as USD (three upper-case letters)")
	}
	u, err := currency.ParseISO(code)
	if err != nil || u.String() != code {
		return "", apperr.Invalid(field, "is not an ISO 4217 currency code")
	}
	return code, nil
}

// CheckAmount checks a positive amount of cents within MaxAmountCents.
func CheckAmount(field string, cents int64) error {
	if cents <= 0 || cents > MaxAmountCents {
		return apperr.Invalid(field, "must be a whole number of cents from 1 to 10000000000000")
	}
	return nil
}

// AddCents is a + b, or false when the sum does not fit an int64.
func AddCents(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// Sum adds amounts exactly, or reports that the total is out of range.
func Sum(amounts ...int64) (int64, error) {
	var total int64
	for _, a := range amounts {
		var ok bool
		if total, ok = AddCents(total, a); !ok {
			return 0, ErrOverflow()
		}
	}
	return total, nil
}

// AbsCents is |a| (the int64 minimum has none and is reported).
func AbsCents(a int64) (int64, error) {
	if a == math.MinInt64 {
		return 0, ErrOverflow()
	}
	if a < 0 {
		return -a, nil
	}
	return a, nil
}

// ErrOverflow reports a total beyond the range of int64 cents.
func ErrOverflow() error {
	return apperr.Unprocessable(ReasonAmountOverflow, "the amounts add up beyond the range this service computes with (±9.2·10^18 cents)")
}
