package compliance

import (
	"testing"
	"time"
)

// BenchmarkDecide: the gate for one SMS. The goal (issue 10) is ≤ 50 µs a
// decision with the facts gathered from a warm read model; this is the
// decision itself.
func BenchmarkDecide(b *testing.B) {
	three := zones(b, "America/New_York", "America/Chicago", "America/Los_Angeles")
	// 23:30 in New York: night in all three, so the deferral search runs.
	night := time.Date(2026, time.January, 15, 23, 30, 0, 0, three[0])
	cases := []struct {
		name  string
		zones []*time.Location
		now   time.Time
	}{
		{"sms_3_zones_night", three, night},
		{"sms_3_zones_day", three, noonNY},
		{"sms_tollfree_night", ZonesFor("", "", "", "+18005550100", ""), night},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f := okSMS()
			f.Zones = c.zones
			b.ReportAllocs()
			for b.Loop() {
				if d := Decide(f, c.now); d.Outcome == Block {
					b.Fatal(d)
				}
			}
		})
	}
	b.Run("email", func(b *testing.B) {
		f := okEmail()
		b.ReportAllocs()
		for b.Loop() {
			if d := Decide(f, night); d.Outcome != Send {
				b.Fatal(d)
			}
		}
	})
}

// BenchmarkZonesFor: resolving a recipient's zones, per source.
func BenchmarkZonesFor(b *testing.B) {
	cases := []struct{ name, stored, postal, country, e164 string }{
		{"stored", "America/New_York", "", "", ""},
		{"zip", "", "79855-1234", "US", ""},
		{"zip_no_hint", "", "79855", "", "+19155551234"},
		{"canada", "", "K1A 0B1", "CA", ""},
		{"phone", "", "", "", "+19155551234"},
		{"phone_tollfree", "", "", "", "+18005550100"},
		{"org_fallback", "", "", "", ""},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if zs := ZonesFor(c.stored, c.postal, c.country, c.e164, "America/Chicago"); len(zs) == 0 {
					b.Fatal("no zones")
				}
			}
		})
	}
}
