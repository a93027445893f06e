package datetime_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/datetime"
	"reos.dev/pkg/testkit"
)

// pgCheck asks PostgreSQL itself about the values the parsers accept.
type pgCheck struct{ pool *pgxpool.Pool }

func newPGCheck(f *testing.F) pgCheck {
	return pgCheck{pool: testkit.NewDatabase(f).Pool(f, "")}
}

// FuzzParseDate: ParseDate never panics, and every string it accepts is in
// the documented range, is already the one canonical form, and is a date
// PostgreSQL stores as the same day (both as text cast to date, as the
// services' SQL does, and through a date column).
func FuzzParseDate(f *testing.F) {
	pg := newPGCheck(f)
	for _, s := range []string{"2026-06-30", "0000-01-01", "10000-01-01", "1000-01-01", "9999-12-31", "0999-12-31",
		"2024-02-29", "2025-02-29", "2026-1-1", "-2026-01-01", "2026-06-30 ", "２０２６-06-30", "2026-06-30T00:00:00Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := datetime.ParseDate(s)
		if err != nil {
			return
		}
		if got.Year() < datetime.MinYear || got.Year() > datetime.MaxYear {
			t.Fatalf("ParseDate(%q) accepted year %d", s, got.Year())
		}
		if c, err := datetime.CanonicalDate(s); err != nil || c != s {
			t.Fatalf("ParseDate(%q) accepted a non-canonical form (canonical %q, %v)", s, c, err)
		}
		var back string
		if err := pg.pool.QueryRow(t.Context(), `SELECT $1::text::date::text`, s).Scan(&back); err != nil {
			t.Fatalf("ParseDate(%q) accepted what PostgreSQL refuses: %v", s, err)
		}
		if back != s {
			t.Fatalf("ParseDate(%q): PostgreSQL stores %q", s, back)
		}
	})
}

// FuzzParseTime: ParseTime never panics, and every string it accepts is an
// instant in the documented range that PostgreSQL stores as the same
// instant (to its microsecond), both as text cast to timestamptz and as a
// bound time.Time.
func FuzzParseTime(f *testing.F) {
	pg := newPGCheck(f)
	for _, s := range []string{"2026-01-02T15:04:05Z", "2026-01-02T10:04:05.123456789-05:00", "0000-01-01T00:00:00Z",
		"1000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1000-01-01T00:30:00+01:00", "2026-01-01T00:00:00+20:00",
		"2026-01-01T00:00:00+14:00", "2026-01-01T00:00:00,5Z", "2026-01-01t00:00:00z", "2026-01-01T00:00:60Z", "2026-01-02"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := datetime.ParseTime(s)
		if err != nil {
			return
		}
		if got.Before(datetime.Min) || !got.Before(datetime.End) {
			t.Fatalf("ParseTime(%q) accepted %v, outside the range", s, got)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		var fromText, fromBinary time.Time
		if err := pg.pool.QueryRow(ctx, `SELECT $1::text::timestamptz, $2::timestamptz`, s, got).Scan(&fromText, &fromBinary); err != nil {
			t.Fatalf("ParseTime(%q) accepted what PostgreSQL refuses: %v", s, err)
		}
		for _, pgv := range []time.Time{fromText, fromBinary} {
			if d := pgv.Sub(got); d < -time.Microsecond || d > time.Microsecond {
				t.Fatalf("ParseTime(%q) = %v; PostgreSQL stores %v", s, got, pgv)
			}
		}
	})
}
