package testkit

import (
	"sync"
	"time"
)

// Clock is a clock for tests: time moves only when told.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at now, truncated to the second.
func NewClock() *Clock { return &Clock{now: time.Now().UTC().Truncate(time.Second)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
