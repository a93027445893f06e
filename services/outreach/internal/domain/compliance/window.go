package compliance

import "time"

// The SMS window, in the recipient's local wall-clock time: from 08:00
// inclusive to 21:00 exclusive (the TCPA's "before 8 a.m. or after 9 p.m."
// is forbidden; 21:00:00 is after 9 p.m.). Seconds of the local day.
const (
	windowOpen  = 8 * 3600
	windowClose = 21 * 3600
	secondsADay = 24 * 3600
)

// SearchHorizon bounds the search for a moment allowed in every candidate
// zone. Candidate zones share a window every day or never (a window is
// 13 h, so zones spread around the clock can leave none), and the first
// shared minute is always less than a day and a DST shift away, so a
// window not found within two days does not exist.
const SearchHorizon = 48 * time.Hour

// NextAllowed returns the first moment at or after now that is inside
// 08:00–21:00 local time in every zone: now itself when now is allowed,
// else the first minute allowed (a window opening, 08:00:00 in the zone
// that opens last, or a DST transition into the window).
//
// The window is the local wall clock, so DST needs no special case: on a
// spring-forward night the window reopens 10 hours after it closed, on a
// fall-back night 12, and zones with half-hour offsets (Asia/Kolkata,
// Australia/Adelaide) or half-hour DST (Australia/Lord_Howe) work alike.
//
// When the zones have no shared window (see SearchHorizon), the result is
// the first allowed moment of the first zone: ZonesFor puts the most
// specific candidate first, and a message must wait for some window
// rather than be dropped. Nil zones are ignored; with none, now is
// returned (nothing forbids it: Decide blocks an SMS with no zone first).
func NextAllowed(zones []*time.Location, now time.Time) time.Time {
	if t, ok := nextAllowedInAll(zones, now); ok {
		return t
	}
	return nextOpen(now, firstZone(zones)).In(now.Location())
}

// nextAllowedInAll looks for the first moment in [now, now+SearchHorizon)
// allowed in every zone. It leapfrogs: while some zone forbids t, t moves
// to that zone's next opening; nothing in between can be allowed in that
// zone, so the first t that no zone forbids is the answer.
func nextAllowedInAll(zones []*time.Location, now time.Time) (time.Time, bool) {
	limit := now.Add(SearchHorizon)
	t := now
	// Each pass that moves t lands on one of the few openings (or DST
	// transitions) of one zone within the horizon; the bound only
	// guarantees termination.
	for pass := 0; pass < 8*len(zones)+8; pass++ {
		moved := false
		for _, z := range zones {
			if z != nil && !allowedAt(t, z) {
				t = nextOpen(t, z)
				moved = true
			}
		}
		if !moved {
			return t.In(now.Location()), true
		}
		if !t.Before(limit) {
			return time.Time{}, false
		}
	}
	return time.Time{}, false
}

// Allowed reports whether t is inside 08:00–21:00 local time in every
// zone (nil zones ignored).
func Allowed(zones []*time.Location, t time.Time) bool {
	for _, z := range zones {
		if z != nil && !allowedAt(t, z) {
			return false
		}
	}
	return true
}

// allowedAt reports whether t is inside the window in zone z.
func allowedAt(t time.Time, z *time.Location) bool {
	_, off := t.In(z).Zone()
	s := secondOfDay(t, off)
	return s >= windowOpen && s < windowClose
}

// secondOfDay is the local second of the day of t at UTC offset off.
func secondOfDay(t time.Time, off int) int64 {
	s := (t.Unix() + int64(off)) % secondsADay
	if s < 0 {
		s += secondsADay
	}
	return s
}

// nextOpen returns the first moment at or after t allowed in zone z. Within
// one offset period the local clock runs with t, so the next 08:00 is a
// subtraction; if the period ends first (a DST transition), the search
// restarts at the transition with the new offset: a transition that jumps
// into the window opens it at the transition, one that jumps back out of
// it (an overlap) is seen by the next check.
func nextOpen(t time.Time, z *time.Location) time.Time {
	for range 8 { // a zone changes offset at most a few times in two days
		lt := t.In(z)
		_, off := lt.Zone()
		s := secondOfDay(t, off)
		if s >= windowOpen && s < windowClose {
			return t
		}
		wait := int64(windowOpen) - s
		if s >= windowClose {
			wait += secondsADay
		}
		open := time.Unix(t.Unix()+wait, 0)
		_, end := lt.ZoneBounds()
		if end.IsZero() || open.Before(end) {
			return open
		}
		t = end
	}
	return t
}

// firstZone is the first non-nil zone, UTC when there is none.
func firstZone(zones []*time.Location) *time.Location {
	for _, z := range zones {
		if z != nil {
			return z
		}
	}
	return time.UTC
}
