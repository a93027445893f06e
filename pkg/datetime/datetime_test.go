package datetime_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"reos.dev/pkg/datetime"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"ordinary", "2026-06-30", true},
		{"first accepted day", "1000-01-01", true},
		{"last accepted day", "9999-12-31", true},
		{"leap day", "2024-02-29", true},
		{"year 0, which PostgreSQL refuses", "0000-01-01", false},
		{"the day before the range", "0999-12-31", false},
		{"a five-digit year", "10000-01-01", false},
		{"no leap day", "2025-02-29", false},
		{"month 13", "2026-13-01", false},
		{"one-digit month", "2026-1-01", false},
		{"a time", "2026-06-30T00:00:00Z", false},
		{"spaces", " 2026-06-30", false},
		{"signed year", "+2026-06-30", false},
		{"words", "soon", false},
		{"empty", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := datetime.ParseDate(tt.in)
			if !tt.ok {
				if !errors.Is(err, datetime.ErrDate) {
					t.Fatalf("ParseDate(%q) = %v, %v; want ErrDate", tt.in, got, err)
				}
				return
			}
			if err != nil || got.Format(time.DateOnly) != tt.in || got.Location() != time.UTC {
				t.Fatalf("ParseDate(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in string
		want     time.Time // zero: refused
	}{
		{"UTC", "2026-01-02T15:04:05Z", time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"offset and fraction", "2026-01-02T10:04:05.25-05:00", time.Date(2026, 1, 2, 15, 4, 5, 250_000_000, time.UTC)},
		{"first instant", "1000-01-01T00:00:00Z", datetime.Min},
		{"last second", "9999-12-31T23:59:59.999999Z", time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC)},
		{"+14:00 is a real offset", "2026-01-01T00:00:00+14:00", time.Date(2025, 12, 31, 10, 0, 0, 0, time.UTC)},
		{"-12:00 too", "2026-01-01T00:00:00-12:00", time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)},
		{"year 0", "0000-01-01T00:00:00Z", time.Time{}},
		{"before the range in UTC", "1000-01-01T00:30:00+01:00", time.Time{}},
		{"after the range in UTC", "9999-12-31T23:30:00-01:00", time.Time{}},
		{"an offset no clock uses", "2026-01-01T00:00:00+20:00", time.Time{}},
		{"no offset", "2026-01-02T15:04:05", time.Time{}},
		{"a date", "2026-01-02", time.Time{}},
		{"hour 24", "2026-01-02T24:00:00Z", time.Time{}},
		{"words", "yesterday", time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := datetime.ParseTime(tt.in)
			if tt.want.IsZero() {
				if !errors.Is(err, datetime.ErrTime) {
					t.Fatalf("ParseTime(%q) = %v, %v; want ErrTime", tt.in, got, err)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCheckTime(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		at time.Time
		ok bool
	}{
		{datetime.Min, true},
		{datetime.End.Add(-time.Nanosecond), true},
		{datetime.Min.Add(-time.Nanosecond), false},
		{datetime.End, false},
		{time.Time{}, false}, // year 1: a zero time.Time is never a client's value
	} {
		if err := datetime.CheckTime(tt.at); (err == nil) != tt.ok {
			t.Errorf("CheckTime(%v) = %v, want ok=%v", tt.at, err, tt.ok)
		}
	}
}

// TestJSON: Date and Time read and write their strings; a refused value is
// a *json.UnmarshalTypeError that encoding/json names with the field, which
// is what lets pkg/httpx answer a 422 naming it; null leaves the field as
// it was.
func TestJSON(t *testing.T) {
	t.Parallel()
	type body struct {
		Due  *datetime.Date `json:"due"`
		At   datetime.Time  `json:"at"`
		Opt  *datetime.Time `json:"opt"`
		Deep struct {
			Day datetime.Date `json:"day"`
		} `json:"deep"`
	}
	var b body
	if err := json.Unmarshal([]byte(`{"due":"2026-06-30","at":"2026-01-02T10:04:05-05:00","opt":null,"deep":{"day":"1999-12-31"}}`), &b); err != nil {
		t.Fatal(err)
	}
	if b.Due == nil || b.Due.String() != "2026-06-30" || !b.At.Time().Equal(time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)) ||
		b.Opt != nil || b.Opt.Ptr() != nil || b.Deep.Day.String() != "1999-12-31" {
		t.Fatalf("decoded %+v", b)
	}
	if p := (&b.At).Ptr(); p == nil || !p.Equal(b.At.Time()) {
		t.Fatalf("Ptr() = %v", p)
	}
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"due":"2026-06-30","at":"2026-01-02T10:04:05-05:00","opt":null,"deep":{"day":"1999-12-31"}}`; string(out) != want {
		t.Fatalf("encoded %s, want %s", out, want)
	}

	for _, tt := range []struct{ in, field string }{
		{`{"due":"0000-01-01"}`, "due"},
		{`{"due":"10000-01-01"}`, "due"},
		{`{"due":"2026-02-30"}`, "due"},
		{`{"due":20260630}`, "due"},
		{`{"at":"0000-01-01T00:00:00Z"}`, "at"},
		{`{"opt":"soon"}`, "opt"},
		{`{"deep":{"day":"x"}}`, "deep.day"},
	} {
		var b body
		err := json.Unmarshal([]byte(tt.in), &b)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Field != tt.field {
			t.Errorf("%s: %v, want an UnmarshalTypeError on %s", tt.in, err, tt.field)
			continue
		}
		if d, ok := any(te.Type).(interface{ String() string }); !ok || d.String() == "" {
			t.Errorf("%s: no type in %v", tt.in, te)
		}
	}
	// Each type says what it accepts.
	if datetime.Date.Describe(datetime.Date{}) != datetime.DateRule || datetime.Time.Describe(datetime.Time{}) != datetime.TimeRule {
		t.Fatal("Describe does not return the rules")
	}
}
