package compliance

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestQuietHoursBoundaries: the window is [08:00, 21:00) local, in whole
// and half-hour-offset zones; a deferral waits for 08:00 local, the same
// day before 08:00 and the next day from 21:00 (across midnight).
func TestQuietHoursBoundaries(t *testing.T) {
	t.Parallel()
	ny, kol, adl := zone(t, "America/New_York"), zone(t, "Asia/Kolkata"), zone(t, "Australia/Adelaide")
	at := func(loc *time.Location, d, h, m, s int) time.Time {
		return time.Date(2026, time.January, d, h, m, s, 0, loc)
	}
	tests := []struct {
		name string
		zone *time.Location
		now  time.Time
		want time.Time // zero: send now
	}{
		{"NY 07:59", ny, at(ny, 15, 7, 59, 0), at(ny, 15, 8, 0, 0)},
		{"NY 07:59:59.9", ny, at(ny, 15, 7, 59, 59).Add(900 * time.Millisecond), at(ny, 15, 8, 0, 0)},
		{"NY 08:00", ny, at(ny, 15, 8, 0, 0), time.Time{}},
		{"NY 20:59", ny, at(ny, 15, 20, 59, 0), time.Time{}},
		{"NY 20:59:59.999", ny, at(ny, 15, 20, 59, 59).Add(999 * time.Millisecond), time.Time{}},
		{"NY 21:00", ny, at(ny, 15, 21, 0, 0), at(ny, 16, 8, 0, 0)},
		{"NY 23:45 waits past midnight", ny, at(ny, 15, 23, 45, 0), at(ny, 16, 8, 0, 0)},
		{"NY 00:00", ny, at(ny, 16, 0, 0, 0), at(ny, 16, 8, 0, 0)},
		{"NY 21:00 on the 31st waits into February", ny, at(ny, 31, 21, 0, 0), time.Date(2026, time.February, 1, 8, 0, 0, 0, ny)},
		// Kolkata is UTC+05:30: 08:00 IST is 02:30 UTC, 21:00 IST 15:30 UTC.
		{"Kolkata 07:59", kol, utc(2026, time.January, 15, 2, 29), utc(2026, time.January, 15, 2, 30)},
		{"Kolkata 08:00", kol, utc(2026, time.January, 15, 2, 30), time.Time{}},
		{"Kolkata 20:59", kol, utc(2026, time.January, 15, 15, 29), time.Time{}},
		{"Kolkata 21:00", kol, utc(2026, time.January, 15, 15, 30), utc(2026, time.January, 16, 2, 30)},
		// Adelaide in January is on summer time, UTC+10:30: 08:00 ACDT is
		// 21:30 UTC the day before.
		{"Adelaide 07:59", adl, utc(2026, time.January, 14, 21, 29), utc(2026, time.January, 14, 21, 30)},
		{"Adelaide 08:00", adl, utc(2026, time.January, 14, 21, 30), time.Time{}},
		{"Adelaide 21:00", adl, utc(2026, time.January, 15, 10, 30), utc(2026, time.January, 15, 21, 30)},
		// In July Adelaide is on standard time, UTC+09:30.
		{"Adelaide July 21:00", adl, utc(2026, time.July, 15, 11, 30), utc(2026, time.July, 15, 22, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkDecision(t, []*time.Location{tt.zone}, tt.now, tt.want, "")
		})
	}
}

// checkDecision checks an SMS decision at now: a send when want is zero,
// else a quiet-hours deferral to want, and NextAllowed agreeing.
func checkDecision(t *testing.T, zs []*time.Location, now, want time.Time, detail string) {
	t.Helper()
	f := okSMS()
	f.Zones = zs
	got := Decide(f, now)
	if want.IsZero() {
		if got.Outcome != Send || got.Detail != detail {
			t.Fatalf("Decide at %s in %v = %+v, want send (detail %q)", now.UTC(), zoneNames(zs), got, detail)
		}
		if na := NextAllowed(zs, now); !na.Equal(now) {
			t.Fatalf("NextAllowed = %s, want now %s", na.UTC(), now.UTC())
		}
		return
	}
	if got.Outcome != Defer || got.Reason != ReasonQuietHours || !got.NotBefore.Equal(want) || got.Detail != detail {
		t.Fatalf("Decide at %s in %v = %+v (NotBefore %s), want defer to %s (detail %q)",
			now.UTC(), zoneNames(zs), got, got.NotBefore.UTC(), want.UTC(), detail)
	}
	if na := NextAllowed(zs, now); !na.Equal(want) {
		t.Fatalf("NextAllowed = %s, want %s", na.UTC(), want.UTC())
	}
}

// TestQuietHoursDST: the US nights of 2026's clock changes (8 March,
// 1 November, at 02:00 local). The window reopens at 08:00 local on the
// new offset: 10 real hours after 21:00 in spring, 12 in autumn; a time
// in the skipped hour or the repeated hour waits like any other.
func TestQuietHoursDST(t *testing.T) {
	t.Parallel()
	ny, la := zone(t, "America/New_York"), zone(t, "America/Los_Angeles")
	tests := []struct {
		name  string
		zones []*time.Location
		now   time.Time
		want  time.Time
	}{
		// 21:00 EST on 7 March = 02:00 UTC; 08:00 EDT on 8 March = 12:00 UTC.
		{"spring: 21:00 EST", []*time.Location{ny}, utc(2026, time.March, 8, 2, 0), utc(2026, time.March, 8, 12, 0)},
		// 01:59 EST = 06:59 UTC, one minute before the jump to 03:00 EDT.
		{"spring: 01:59 EST", []*time.Location{ny}, utc(2026, time.March, 8, 6, 59), utc(2026, time.March, 8, 12, 0)},
		// 03:00 EDT = 07:00 UTC, just after the jump.
		{"spring: 03:00 EDT", []*time.Location{ny}, utc(2026, time.March, 8, 7, 0), utc(2026, time.March, 8, 12, 0)},
		{"spring: 07:59 EDT", []*time.Location{ny}, utc(2026, time.March, 8, 11, 59), utc(2026, time.March, 8, 12, 0)},
		// 08:00 EST the day before the change = 13:00 UTC: 20:59 EST is 01:59 UTC.
		{"spring: 20:59 EST the evening before", []*time.Location{ny}, utc(2026, time.March, 8, 1, 59), time.Time{}},
		// 21:00 EDT on 31 October = 01:00 UTC; 08:00 EST on 1 November = 13:00 UTC.
		{"fall: 21:00 EDT", []*time.Location{ny}, utc(2026, time.November, 1, 1, 0), utc(2026, time.November, 1, 13, 0)},
		// 01:30 happens twice: 05:30 UTC (EDT) and 06:30 UTC (EST).
		{"fall: first 01:30", []*time.Location{ny}, utc(2026, time.November, 1, 5, 30), utc(2026, time.November, 1, 13, 0)},
		{"fall: second 01:30", []*time.Location{ny}, utc(2026, time.November, 1, 6, 30), utc(2026, time.November, 1, 13, 0)},
		{"fall: 07:59 EST", []*time.Location{ny}, utc(2026, time.November, 1, 12, 59), utc(2026, time.November, 1, 13, 0)},
		{"fall: 08:00 EST", []*time.Location{ny}, utc(2026, time.November, 1, 13, 0), time.Time{}},
		// New York and Los Angeles on the spring night: NY closes first
		// (21:00 EST = 02:00 UTC), LA opens last (08:00 PDT = 15:00 UTC).
		{"spring: NY and LA", []*time.Location{ny, la}, utc(2026, time.March, 8, 2, 0), utc(2026, time.March, 8, 15, 0)},
		// Samoa skipped 30 December 2011 (UTC-10 to UTC+14 at midnight):
		// at 22:00 on the 29th (08:00 UTC on the 30th) the next 08:00 is
		// on the 31st, UTC+14: 18:00 UTC on the 30th.
		{"Samoa's skipped day", zones(t, "Pacific/Apia"), utc(2011, time.December, 30, 8, 0), utc(2011, time.December, 30, 18, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkDecision(t, tt.zones, tt.now, tt.want, "")
		})
	}
	if d := utc(2026, time.March, 8, 12, 0).Sub(utc(2026, time.March, 8, 2, 0)); d != 10*time.Hour {
		t.Fatalf("spring night lasts %s, want 10h", d)
	}
}

// TestQuietHoursOddTransitions: transitions inside or into the window,
// which no real zone makes today but the tz database has had (and may
// have again): see the synthetic zones in helpers_test.go.
func TestQuietHoursOddTransitions(t *testing.T) {
	t.Parallel()
	in, dip, out := jumpIn(t), dipOut(t), jumpOut(t)
	tests := []struct {
		name string
		zone *time.Location
		now  time.Time
		want time.Time
	}{
		// 07:00 local; the clock jumps from 07:30 to 08:30, which opens
		// the window at the jump (07:30 UTC), not at 08:00 old time.
		{"jump into the window", in, utc(2026, time.January, 15, 7, 0), utc(2026, time.January, 15, 7, 30)},
		{"after the jump", in, utc(2026, time.January, 15, 7, 30), time.Time{}},
		// 07:30 local at UTC+1: opens at 08:00 local = 07:00 UTC ...
		{"before the dip", dip, utc(2026, time.January, 15, 6, 30), utc(2026, time.January, 15, 7, 0)},
		// ... then the clock falls back from 08:30 to 07:30 and the
		// window closes again until 08:00 local = 08:00 UTC.
		{"in the dip", dip, utc(2026, time.January, 15, 7, 30), utc(2026, time.January, 15, 8, 0)},
		{"after the dip", dip, utc(2026, time.January, 15, 8, 0), time.Time{}},
		// The clock jumps from 20:30 to 21:30: closed from the jump, open
		// again at 08:00 UTC+1 = 07:00 UTC.
		{"before the jump out", out, utc(2026, time.January, 15, 20, 29), time.Time{}},
		{"jump out of the window", out, utc(2026, time.January, 15, 20, 30), utc(2026, time.January, 16, 7, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkDecision(t, []*time.Location{tt.zone}, tt.now, tt.want, "")
		})
	}
	// With another zone: the dip and New York (08:00 EST = 13:00 UTC).
	checkDecision(t, []*time.Location{dip, zone(t, "America/New_York")}, utc(2026, time.January, 15, 7, 30), utc(2026, time.January, 15, 13, 0), "")
}

// TestQuietHoursSeveralZones: a time is allowed only inside the window of
// every candidate zone; the deferral goes to the first minute that is.
func TestQuietHoursSeveralZones(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		zones []string
		now   time.Time
		want  time.Time
	}{
		// January: NY (UTC-5) allows 13:00–02:00 UTC, LA (UTC-8) 16:00–05:00
		// UTC; both: 16:00–02:00 UTC (11:00–21:00 in New York).
		{"NY+LA 10:59 NY", []string{"America/New_York", "America/Los_Angeles"}, utc(2026, time.January, 15, 15, 59), utc(2026, time.January, 15, 16, 0)},
		{"NY+LA 11:00 NY", []string{"America/New_York", "America/Los_Angeles"}, utc(2026, time.January, 15, 16, 0), time.Time{}},
		{"NY+LA 20:59 NY", []string{"America/Los_Angeles", "America/New_York"}, utc(2026, time.January, 16, 1, 59), time.Time{}},
		{"NY+LA 21:00 NY", []string{"America/Los_Angeles", "America/New_York"}, utc(2026, time.January, 16, 2, 0), utc(2026, time.January, 16, 16, 0)},
		// NY (13:00–02:00 UTC) and Kolkata (02:30–15:30 UTC): 13:00–15:30 UTC.
		{"NY+Kolkata before", []string{"America/New_York", "Asia/Kolkata"}, utc(2026, time.January, 15, 12, 0), utc(2026, time.January, 15, 13, 0)},
		{"NY+Kolkata 15:29", []string{"America/New_York", "Asia/Kolkata"}, utc(2026, time.January, 15, 15, 29), time.Time{}},
		{"NY+Kolkata 15:30", []string{"America/New_York", "Asia/Kolkata"}, utc(2026, time.January, 15, 15, 30), utc(2026, time.January, 16, 13, 0)},
		// A +61 8 number: Adelaide (UTC+10:30 in January: 21:30–10:30 UTC)
		// and Perth (UTC+8: 00:00–13:00 UTC); both: 00:00–10:30 UTC.
		{"Adelaide+Perth 23:00 UTC", []string{"Australia/Adelaide", "Australia/Perth"}, utc(2026, time.January, 14, 23, 0), utc(2026, time.January, 15, 0, 0)},
		{"Adelaide+Perth 10:30 UTC", []string{"Australia/Adelaide", "Australia/Perth"}, utc(2026, time.January, 15, 10, 30), utc(2026, time.January, 16, 0, 0)},
		// 13 hours apart still share two hours: NY (13:00–02:00 UTC) and
		// Shanghai (UTC+8: 00:00–13:00 UTC) share 00:00–02:00 UTC.
		{"NY+Shanghai noon UTC", []string{"America/New_York", "Asia/Shanghai"}, utc(2026, time.January, 15, 12, 0), utc(2026, time.January, 16, 0, 0)},
		{"NY+Shanghai 01:59 UTC", []string{"America/New_York", "Asia/Shanghai"}, utc(2026, time.January, 16, 1, 59), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkDecision(t, zones(t, tt.zones...), tt.now, tt.want, "")
		})
	}
}

// TestQuietHoursNoCommonWindow: Honolulu (08:00–21:00 = 18:00–07:00 UTC),
// UTC (08:00–21:00) and Shanghai (00:00–13:00 UTC) have no minute in
// common. The first zone's window is used, on a send as on a deferral,
// and the decision says so.
func TestQuietHoursNoCommonWindow(t *testing.T) {
	t.Parallel()
	hnl := []string{"Pacific/Honolulu", "UTC", "Asia/Shanghai"}
	sha := []string{"Asia/Shanghai", "Pacific/Honolulu", "UTC"}
	tests := []struct {
		name  string
		zones []string
		now   time.Time
		want  time.Time
	}{
		{"Honolulu first, 02:00 HST", hnl, utc(2026, time.January, 15, 12, 0), utc(2026, time.January, 15, 18, 0)},
		{"Honolulu first, 10:00 HST", hnl, utc(2026, time.January, 15, 20, 0), time.Time{}},
		{"Shanghai first, 20:00 CST", sha, utc(2026, time.January, 15, 12, 0), time.Time{}},
		{"Shanghai first, 04:00 CST", sha, utc(2026, time.January, 15, 20, 0), utc(2026, time.January, 16, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkDecision(t, zones(t, tt.zones...), tt.now, tt.want, DetailNoCommonWindow)
		})
	}
}

// propertyZones are the zones the property test draws from: whole,
// half- and three-quarter-hour offsets, half-hour DST (Lord Howe), no DST,
// both hemispheres, ±12 h and beyond, Samoa's skipped day.
var propertyZones = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "America/St_Johns", "America/Sao_Paulo", "Europe/London",
	"Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Shanghai", "Australia/Adelaide",
	"Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia", "Pacific/Kiritimati", "UTC",
}

// TestNextAllowedProperty checks NextAllowed against a brute-force scan
// of every minute, over random instants (a third of them within a day
// and a half of a US clock change, a third around the synthetic zones'
// transitions) and random sets of 1–4 zones: the result
// is now when now is allowed, else the first whole minute allowed in
// every zone, so it is allowed everywhere and no allowed minute lies
// between now and it; when no minute within SearchHorizon is allowed in
// every zone, it is the first zone's first allowed minute.
func TestNextAllowedProperty(t *testing.T) {
	t.Parallel()
	pool := append(zones(t, propertyZones...), jumpIn(t), dipOut(t), jumpOut(t))
	rng := rand.New(rand.NewPCG(10, 2026))
	start, end := utc(2010, time.January, 1, 0, 0), utc(2032, time.January, 1, 0, 0)
	common := 0
	const trials = 1500
	for i := range trials {
		var now time.Time
		switch i % 3 {
		case 0:
			now = start.Add(time.Duration(rng.Int64N(int64(end.Sub(start)))))
		case 1: // around the synthetic zones' transitions
			now = utc(2026, time.January, 15, 0, 0).Add(time.Duration(rng.Int64N(int64(72*time.Hour))) - 24*time.Hour)
		default:
			year := 2010 + rng.IntN(22)
			change := secondSunday(year, time.March)
			if rng.IntN(2) == 0 {
				change = firstSunday(year, time.November)
			}
			now = change.Add(time.Duration(rng.Int64N(int64(72*time.Hour))) - 36*time.Hour)
		}
		zs := make([]*time.Location, 1+rng.IntN(4))
		for j := range zs {
			zs[j] = pool[rng.IntN(len(pool))]
		}
		want, shared := bruteForce(zs, now)
		if shared {
			common++
		}
		got := NextAllowed(zs, now)
		if !got.Equal(want) {
			t.Fatalf("NextAllowed(%v, %s) = %s, brute force %s (shared window %v)", zoneNames(zs), now.UTC(), got.UTC(), want.UTC(), shared)
		}
		if shared && !Allowed(zs, got) {
			t.Fatalf("NextAllowed(%v, %s) = %s is not allowed everywhere", zoneNames(zs), now.UTC(), got.UTC())
		}
		d := Decide(Facts{Channel: SMS, Address: "+1", Consent: ConsentGranted, Zones: zs}, now)
		switch {
		case got.Equal(now) && d.Outcome != Send,
			!got.Equal(now) && (d.Outcome != Defer || !d.NotBefore.Equal(got)),
			(d.Detail == DetailNoCommonWindow) == shared:
			t.Fatalf("Decide(%v, %s) = %+v, NextAllowed %s, shared window %v", zoneNames(zs), now.UTC(), d, got.UTC(), shared)
		}
	}
	// Both branches must have been exercised for the test to mean much.
	if common == 0 || common == trials {
		t.Fatalf("%d of %d trials had a shared window", common, trials)
	}
	if testing.Verbose() {
		t.Logf("%d of %d trials had a shared window", common, trials)
	}
}

// bruteForce scans minute by minute with the wall clock (time.Clock),
// independently of the implementation's offset arithmetic.
func bruteForce(zs []*time.Location, now time.Time) (time.Time, bool) {
	ok := func(t time.Time, zs []*time.Location) bool {
		for _, z := range zs {
			h, m, _ := t.In(z).Clock()
			if mins := h*60 + m; mins < 8*60 || mins >= 21*60 {
				return false
			}
		}
		return true
	}
	scan := func(zs []*time.Location, limit time.Duration) (time.Time, bool) {
		if ok(now, zs) {
			return now, true
		}
		for m := now.Truncate(time.Minute).Add(time.Minute); m.Before(now.Add(limit)); m = m.Add(time.Minute) {
			if ok(m, zs) {
				return m, true
			}
		}
		return time.Time{}, false
	}
	if t, found := scan(zs, SearchHorizon); found {
		return t, true
	}
	t, _ := scan(zs[:1], SearchHorizon)
	return t, false
}

func secondSunday(year int, m time.Month) time.Time { return firstSunday(year, m).AddDate(0, 0, 7) }

// firstSunday is 07:00 UTC (02:00 EST) on the month's first Sunday.
func firstSunday(year int, m time.Month) time.Time {
	d := time.Date(year, m, 1, 7, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, (7-int(d.Weekday()))%7)
}
