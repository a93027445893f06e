package compliance

import (
	"testing"
	"time"
)

// zone loads a zone for a test, failing it when the name is not one.
func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, ok := LoadZone(name)
	if !ok {
		t.Fatalf("LoadZone(%q) failed", name)
	}
	return loc
}

// zones loads several.
func zones(t testing.TB, names ...string) []*time.Location {
	t.Helper()
	out := make([]*time.Location, len(names))
	for i, n := range names {
		out[i] = zone(t, n)
	}
	return out
}

// utc is an instant written in UTC.
func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

// zoneNames is the names of zones, for messages.
func zoneNames(zs []*time.Location) []string {
	out := make([]string, len(zs))
	for i, z := range zs {
		out[i] = z.String()
	}
	return out
}

// transition is a change of a synthetic zone to a new UTC offset.
type transition struct {
	at  time.Time
	off time.Duration
}

// syntheticZone builds a zone (a TZif version-1 file, RFC 8536) that has
// offset first until the first transition, then each transition's
// offset, forever after the last: the odd transitions (into the window,
// back out of it) that no real zone makes today.
func syntheticZone(t testing.TB, name string, first time.Duration, ts ...transition) *time.Location {
	t.Helper()
	be32 := func(b []byte, v int64) []byte {
		return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	b := []byte("TZif")
	b = append(b, make([]byte, 16)...)                          // version 1, reserved
	for _, n := range []int{0, 0, 0, len(ts), len(ts) + 1, 2} { // isut, isstd, leap, time, type, char counts
		b = be32(b, int64(n))
	}
	for _, tr := range ts {
		b = be32(b, tr.at.Unix())
	}
	for i := range ts {
		b = append(b, byte(i+1)) // transition i switches to type i+1
	}
	for _, off := range append([]time.Duration{first}, offsets(ts)...) {
		b = be32(b, int64(off/time.Second))
		b = append(b, 0, 0) // not DST, abbreviation at 0
	}
	b = append(b, 'Z', 0)
	loc, err := time.LoadLocationFromTZData(name, b)
	if err != nil {
		t.Fatalf("synthetic zone %s: %v", name, err)
	}
	return loc
}

func offsets(ts []transition) []time.Duration {
	out := make([]time.Duration, len(ts))
	for i, tr := range ts {
		out[i] = tr.off
	}
	return out
}

// The synthetic zones, all changing on 15 January 2026 (times in UTC):
//
//	jumpIn:  UTC+0 until 07:30 (07:30 local), then UTC+1 (08:30 local)
//	dipOut:  UTC+1 until 07:30 (08:30 local), then UTC+0 (07:30 local)
//	jumpOut: UTC+0 until 20:30 (20:30 local), then UTC+1 (21:30 local)
func jumpIn(t testing.TB) *time.Location {
	return syntheticZone(t, "Test/JumpIn", 0, transition{utc(2026, time.January, 15, 7, 30), time.Hour})
}

func dipOut(t testing.TB) *time.Location {
	return syntheticZone(t, "Test/DipOut", time.Hour, transition{utc(2026, time.January, 15, 7, 30), 0})
}

func jumpOut(t testing.TB) *time.Location {
	return syntheticZone(t, "Test/JumpOut", 0, transition{utc(2026, time.January, 15, 20, 30), time.Hour})
}
