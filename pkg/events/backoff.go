package events

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is capped exponential backoff with jitter, so relays and consumers
// that failed together do not retry in lockstep.
type backoff struct {
	min, max, cur time.Duration
}

func newBackoff(minD, maxD time.Duration) *backoff {
	return &backoff{min: minD, max: maxD}
}

// next returns the next delay: min, 2×min, … up to max, each reduced by up
// to a fifth at random.
func (b *backoff) next() time.Duration {
	switch {
	case b.cur == 0:
		b.cur = b.min
	case b.cur < b.max:
		b.cur = min(2*b.cur, b.max)
	}
	jitter := time.Duration(rand.Int64N(int64(b.cur)/5 + 1)) // #nosec G404 -- jitter spreads retries; nothing depends on it being unpredictable
	return b.cur - jitter
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits d or until ctx is done; it reports whether the full d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
