package ratelimit

import "time"

// SetLeaseClock replaces p's local clock (the one a lease's end is read
// on), so a test moves time instead of waiting for it.
func SetLeaseClock(p *Leased, now func() time.Time) { p.now = now }
