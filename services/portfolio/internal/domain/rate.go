package domain

import (
	"math"
	"math/big"
	"strings"
)

// Rates and ratios (cap rate, cash-on-cash, appreciation, IRR) are decimal
// strings rounded once, half away from zero, to RateDecimals fraction
// digits, with trailing zeros dropped ("0.05", "0.373362535", "-0.99",
// "1"). The ratios are computed exactly from integer cents (math/big) and
// rounded only when formatted; the IRR is the solver's float64, rounded
// once the same way. No amount of money is ever a float.
const RateDecimals = 9

var rateScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(RateDecimals), nil)

// Ratio is num/den formatted as a rate; ok is false when den is 0.
func Ratio(num, den *big.Int) (string, bool) {
	if den.Sign() == 0 {
		return "", false
	}
	return FormatRat(new(big.Rat).SetFrac(num, den)), true
}

// FormatRat rounds r once to RateDecimals digits, half away from zero.
func FormatRat(r *big.Rat) string {
	n := new(big.Int).Mul(r.Num(), rateScale)
	d := r.Denom() // always positive
	q, m := new(big.Int).QuoRem(n, d, new(big.Int))
	// Half away from zero: |2m| ≥ d moves q one step away from zero.
	if new(big.Int).Abs(new(big.Int).Lsh(m, 1)).Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	neg := q.Sign() < 0
	digits := new(big.Int).Abs(q).String()
	if len(digits) <= RateDecimals {
		digits = strings.Repeat("0", RateDecimals-len(digits)+1) + digits
	}
	whole, frac := digits[:len(digits)-RateDecimals], strings.TrimRight(digits[len(digits)-RateDecimals:], "0")
	s := whole
	if frac != "" {
		s += "." + frac
	}
	if neg && s != "0" {
		s = "-" + s
	}
	return s
}

// FormatFloatRate formats a solver's rate (finite) the same way: its exact
// binary value rounded once.
func FormatFloatRate(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		panic("domain: FormatFloatRate of a non-finite value")
	}
	return FormatRat(new(big.Rat).SetFloat64(x))
}
