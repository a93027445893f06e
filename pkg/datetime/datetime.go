// Package datetime is the one place where a date or a time that comes from
// outside a service (a JSON body, a query parameter, a CSV cell, a cursor)
// is parsed and checked, so that no such value reaches PostgreSQL only to be
// refused there (a 500): PostgreSQL rejects year 0 ("0000-01-01"), dates
// after 5874897 AD and timestamps outside 4713 BC – 294276 AD, while Go
// parses years 0000–9999.
//
// # The range
//
// Every date and time accepted lies in the years MinYear–MaxYear
// (1000-01-01 to 9999-12-31; for a time, the instant in UTC). That is far
// inside what PostgreSQL's date and timestamptz store, and wide enough for
// any business date (a deed from 1066 is not a listing date). It is the
// outer bound: a domain may narrow it for a field (a listing's dates,
// 1900–2200; a valuation's as_of, 2000 to today), never widen it.
//
// # Forms
//
// A date is RFC 3339's full-date, YYYY-MM-DD, exactly (no time, no zone).
// A time is RFC 3339's date-time with a mandatory offset
// (2026-01-02T15:04:05Z, 2026-01-02T10:04:05.123-05:00) from -12:00 to
// +14:00, the offsets clocks use (PostgreSQL refuses some that RFC 3339
// allows); fractions of a second beyond the microsecond PostgreSQL keeps
// are accepted and rounded by the database.
//
// Date and Time are the JSON forms: a value they refuse is a
// *json.UnmarshalTypeError, which encoding/json completes with the field's
// name and pkg/httpx answers as a 422 naming the field and saying what the
// field accepts (Describe).
package datetime

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"time"
)

// The accepted years, inclusive.
const (
	MinYear = 1000
	MaxYear = 9999
)

var (
	// Min is the earliest date and instant accepted.
	Min = time.Date(MinYear, time.January, 1, 0, 0, 0, 0, time.UTC)
	// End is the first instant after the range (10000-01-01T00:00:00Z).
	End = time.Date(MaxYear+1, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// DateRule and TimeRule say what a date or time field accepts; a refused
// value is told "must be " + the rule.
const (
	DateRule = "a date YYYY-MM-DD from 1000-01-01 to 9999-12-31"
	TimeRule = "an RFC 3339 date-time with an offset from -12:00 to +14:00 (such as 2026-01-02T15:04:05Z) from 1000-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
)

// ErrDate and ErrTime are the errors of ParseDate and ParseTime; their text
// is the message a client gets ("must be …").
var (
	ErrDate = errors.New("must be " + DateRule)
	ErrTime = errors.New("must be " + TimeRule)
)

// The exact forms, checked before time.Parse judges the values.
var (
	dateForm = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	timeForm = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-5][0-9])$`)
)

// ParseDate parses a YYYY-MM-DD date in the accepted range; the result is
// midnight UTC.
func ParseDate(s string) (time.Time, error) {
	if !dateForm.MatchString(s) {
		return time.Time{}, ErrDate
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Before(Min) || !t.Before(End) {
		return time.Time{}, ErrDate
	}
	return t, nil
}

// CanonicalDate is ParseDate returning the date in its one stored form.
func CanonicalDate(s string) (string, error) {
	t, err := ParseDate(s)
	if err != nil {
		return "", err
	}
	return t.Format(time.DateOnly), nil
}

// The offsets ParseTime accepts, in seconds east of UTC.
const (
	minOffset = -12 * 3600
	maxOffset = 14 * 3600
)

// ParseTime parses an RFC 3339 date-time whose instant is in the accepted
// range. The result keeps the offset it was given.
func ParseTime(s string) (time.Time, error) {
	// time.Parse is lenient beyond RFC 3339 (one-digit hours, a comma
	// before the fraction, offset minutes of 60), and PostgreSQL refuses
	// some of that: the form is checked first.
	if !timeForm.MatchString(s) {
		return time.Time{}, ErrTime
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, ErrTime
	}
	if _, off := t.Zone(); off < minOffset || off > maxOffset {
		return time.Time{}, ErrTime
	}
	if err := CheckTime(t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// CheckTime checks an already parsed instant against the range.
func CheckTime(t time.Time) error {
	if t.Before(Min) || !t.Before(End) {
		return ErrTime
	}
	return nil
}

// Date is a date field of a JSON body: a "YYYY-MM-DD" string in the
// accepted range. JSON null leaves it unchanged (use *Date for an optional
// field).
type Date struct{ t time.Time }

// Time returns the date as midnight UTC.
func (d Date) Time() time.Time { return d.t }

// String returns the date as YYYY-MM-DD.
func (d Date) String() string { return d.t.Format(time.DateOnly) }

// Describe says what the field accepts (pkg/httpx puts it in the 422).
func (Date) Describe() string { return DateRule }

// MarshalJSON writes the date as "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a "YYYY-MM-DD" string in the accepted range.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := jsonString(b, reflect.TypeFor[Date]())
	if err != nil {
		return err
	}
	t, err := ParseDate(s)
	if err != nil {
		return refused(reflect.TypeFor[Date]())
	}
	d.t = t
	return nil
}

// Time is a date-time field of a JSON body: an RFC 3339 string whose
// instant is in the accepted range. JSON null leaves it unchanged (use
// *Time for an optional field).
type Time struct{ t time.Time }

// Time returns the instant.
func (t Time) Time() time.Time { return t.t }

// Ptr returns a pointer to the instant, nil for a nil t: an optional field
// as the service layer takes it.
func (t *Time) Ptr() *time.Time {
	if t == nil {
		return nil
	}
	v := t.t
	return &v
}

// String returns the instant in RFC 3339 with its offset.
func (t Time) String() string { return t.t.Format(time.RFC3339Nano) }

// Describe says what the field accepts (pkg/httpx puts it in the 422).
func (Time) Describe() string { return TimeRule }

// MarshalJSON writes the instant as an RFC 3339 string.
func (t Time) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON reads an RFC 3339 string in the accepted range.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := jsonString(b, reflect.TypeFor[Time]())
	if err != nil {
		return err
	}
	v, err := ParseTime(s)
	if err != nil {
		return refused(reflect.TypeFor[Time]())
	}
	t.t = v
	return nil
}

func jsonString(b []byte, typ reflect.Type) (string, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", &json.UnmarshalTypeError{Value: "non-string", Type: typ}
	}
	return s, nil
}

// refused is the error of a value the type does not accept: encoding/json
// fills in the field's name on its way out.
func refused(typ reflect.Type) error {
	return &json.UnmarshalTypeError{Value: "string", Type: typ}
}
