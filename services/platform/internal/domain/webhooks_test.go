package domain

import (
	"testing"
	"time"
)

func TestNextDelayFollowsTheScheduleWithJitter(t *testing.T) {
	t.Parallel()
	// The schedule, written out independently of Schedule.
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
		10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}
	for i, w := range want {
		n := i + 1
		if d, ok := NextDelay(n, 0.5, 0); !ok || d != w {
			t.Errorf("after attempt %d: %s %v, want %s", n, d, ok, w)
		}
		lo, _ := NextDelay(n, 0, 0)
		hi, _ := NextDelay(n, 0.999999, 0)
		if lo != w-w/10 || hi <= w || hi > w+w/10 {
			t.Errorf("after attempt %d: jitter range [%s, %s], want [%s, %s]", n, lo, hi, w-w/10, w+w/10)
		}
	}
	if _, ok := NextDelay(10, 0.5, 0); ok {
		t.Error("an 11th attempt was scheduled")
	}
	if d, _ := NextDelay(1, 0.5, time.Minute); d != time.Minute {
		t.Errorf("Retry-After of a minute after attempt 1: %s, want 1m", d)
	}
	if d, _ := NextDelay(4, 0.5, time.Minute); d != 2*time.Hour {
		t.Errorf("a shorter Retry-After shortened the schedule: %s", d)
	}
}

func TestEventFilters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		filter, event string
		want          bool
	}{
		{"*", "lead.created", true},
		{"lead.*", "lead.created", true},
		{"lead.*", "lead.stage.changed", true},
		{"lead.*", "leads.created", false},
		{"lead.*", "lead", false},
		{"lead.created", "lead.created", true},
		{"lead.created", "lead.updated", false},
	} {
		if got := MatchesEventType(tc.filter, tc.event); got != tc.want {
			t.Errorf("MatchesEventType(%q, %q) = %v", tc.filter, tc.event, got)
		}
	}
	for f, ok := range map[string]bool{"*": true, "lead.*": true, "lead.created": true, "deal_stage.changed": true,
		"": false, ".*": false, "lead..x": false, "Lead.created": false, "lead.*.x": false, "*.created": false, "lead.": false} {
		if ValidEventFilter(f) != ok {
			t.Errorf("ValidEventFilter(%q) = %v, want %v", f, !ok, ok)
		}
	}
}
