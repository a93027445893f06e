package csvimport

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"reos.dev/pkg/datetime"
)

// Values as people write them in spreadsheets. Each parser takes a trimmed,
// non-empty cell and returns the value or an error whose text is the
// reason a row error gives ("must be …").

// MaxMoneyUnits bounds ParseMoney's whole units (a hundred billion):
// a cell with more digits is a mistake, not a price.
const MaxMoneyUnits = 100_000_000_000

// ErrMoney is ParseMoney's error.
var ErrMoney = errors.New(`must be an amount such as 350000, 350,000.00, "$350,000" or "€1.234,56", at most ` +
	"100,000,000,000 with at most 2 decimals")

// currencies are the signs and codes an amount may carry before or after it.
var currencies = []string{"US$", "CA$", "A$", "$", "€", "£", "USD", "EUR", "GBP", "CAD", "AUD"}

// ParseMoney reads an amount of currency units into exact cents. Accepted:
// a currency sign or code before or after ($, €, £, USD, EUR, GBP, CAD,
// AUD), spaces anywhere, and one of two conventions:
//   - English (US, UK, Canada, Australia): "," groups thousands, "." is the
//     decimal point: 350000, 350,000, 350,000.50, $1,234.5.
//   - Continental European, recognised only where unambiguous: both
//     separators with "," last (1.234,56), or a "," followed by one or two
//     digits (1234,5; 350 000,00).
//
// A thousands group has three digits; at most two decimals are accepted
// (more is refused, not rounded); "1.234" is 1.234 units and so refused,
// never read as a thousand. Negative amounts are refused.
func ParseMoney(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\u00a0", " ")
	for _, c := range currencies {
		if t, ok := strings.CutPrefix(s, c); ok {
			s = t
			break
		}
		if t, ok := strings.CutSuffix(s, c); ok {
			s = t
			break
		}
	}
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return 0, ErrMoney
	}
	thousands, decimal := byte(','), byte('.')
	lastComma, lastDot := strings.LastIndexByte(s, ','), strings.LastIndexByte(s, '.')
	switch {
	case lastComma > lastDot && lastDot >= 0: // 1.234,56
		thousands, decimal = '.', ','
	case lastDot < 0 && lastComma >= 0 && len(s)-lastComma-1 <= 2: // 1234,5
		thousands, decimal = '.', ','
	}
	whole, frac, hasFrac := strings.Cut(s, string(decimal))
	if hasFrac && (len(frac) == 0 || len(frac) > 2 || !digits(frac)) {
		return 0, ErrMoney
	}
	units, ok := grouped(whole, thousands)
	if !ok {
		return 0, ErrMoney
	}
	cents := int64(0)
	if frac != "" {
		c, _ := strconv.ParseInt(frac, 10, 64) // one or two digits
		if len(frac) == 1 {
			c *= 10
		}
		cents = c
	}
	return units*100 + cents, nil
}

// ParseWhole reads a whole number written with digits, optionally grouped
// by "," in threes (1,850), at most MaxMoneyUnits.
func ParseWhole(s string) (int64, bool) {
	return grouped(strings.TrimSpace(s), ',')
}

// grouped reads digits, optionally grouped in threes by sep.
func grouped(s string, sep byte) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if strings.IndexByte(s, sep) >= 0 {
		groups := strings.Split(s, string(sep))
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, false
			}
		}
		s = strings.Join(groups, "")
	}
	if !digits(s) || len(s) > 12 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > MaxMoneyUnits {
		return 0, false
	}
	return n, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ErrBool is ParseBool's error.
var ErrBool = errors.New("must be yes or no (also y/n, true/false, 1/0, x or empty)")

// ParseBool reads yes/no as spreadsheets write it, without case: yes, y,
// true, t, 1, x, ✓, on are true; no, n, false, f, 0, off are false.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "t", "1", "x", "✓", "✔", "on":
		return true, nil
	case "no", "n", "false", "f", "0", "off":
		return false, nil
	}
	return false, ErrBool
}

// ErrDate is ParseDate's error.
var ErrDate = errors.New("must be a date such as 2026-03-14, 3/14/2026, Mar 14 2026 or 14 March 2026 (an optional time, " +
	"such as 3/14/2026 2:30 PM, is read in the organisation's time zone), from year 1000 to 9999")

// dateLayouts are the forms ParseDate reads besides RFC 3339. Numeric
// day-month orders are read the US way (month first): 03/04/2026 is March
// 4th; a file written day first must use the ISO form or a month name.
var dateLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04",
	"2006/1/2", "2006/1/2 15:04", "2006/1/2 15:04:05",
	"1/2/2006", "1/2/2006 15:04", "1/2/2006 15:04:05", "1/2/2006 3:04 PM", "1/2/2006 3:04:05 PM", "1/2/06",
	"1-2-2006", "1.2.2006",
	"Jan 2 2006", "Jan 2, 2006", "January 2 2006", "January 2, 2006", "2 Jan 2006", "2 January 2006",
	"Mon, Jan 2, 2006", "Monday, January 2, 2006", "02-Jan-2006", "2-Jan-06",
}

// ParseDate reads a date, or a date and time, in the common spreadsheet
// forms: the ISO and RFC 3339 forms pkg/datetime reads, the layouts above
// (an instant without an offset is in loc, the organisation's time zone; a
// date alone is its midnight there). The result lies in pkg/datetime's
// range.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	s = strings.Join(strings.Fields(s), " ")
	if t, err := datetime.ParseTime(s); err == nil {
		return t, nil
	}
	if d, err := datetime.ParseDate(s); err == nil {
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc), nil
	}
	upper := strings.ToUpper(s) // "pm" as Go reads "PM"
	for _, l := range dateLayouts {
		in := s
		if strings.Contains(l, "PM") {
			in = upper
		}
		t, err := time.ParseInLocation(l, in, loc)
		if err != nil {
			continue
		}
		if datetime.CheckTime(t) != nil {
			return time.Time{}, ErrDate
		}
		return t, nil
	}
	return time.Time{}, ErrDate
}
