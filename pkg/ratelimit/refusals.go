package ratelimit

import (
	"sync"
	"sync/atomic"
	"time"
)

// Refusals remembers, in the process, the checks whose window is full (a
// decision found nothing remaining) until the window has room for them
// again. Until then Redis would refuse them — refused requests are not
// recorded and other replicas can only add admissions, so room appears no
// earlier than the oldest admission leaves the window — which lets a caller
// refuse a request that needs such a check without asking Redis, and
// before doing the work the request would cost: the gateway asks it about
// a client address before verifying that address's token. It never
// refuses what Redis would admit; a replica that has not seen the window
// fill simply asks Redis once.
//
// It is safe for concurrent use. Entries go when their refusal ends (swept
// every sweepEvery); at most maxRefusals are kept, beyond which a refusal
// is not remembered and the next request asks Redis as usual.
type Refusals struct {
	now func() time.Time
	// size is len(until), read without the lock so that the common case
	// (nobody refused) costs one atomic load.
	size    atomic.Int64
	sweepAt atomic.Int64 // unix nanoseconds of the next sweep

	mu    sync.RWMutex
	until map[refusalKey]time.Time
}

type refusalKey struct{ limit, subject string }

// maxRefusals bounds the remembered refusals. Each costs its client a whole
// exhausted limit, so reaching the bound takes that many exhausted budgets.
const maxRefusals = 1 << 16

// NewRefusals returns an empty memory of refusals.
func NewRefusals() *Refusals {
	return &Refusals{now: time.Now, until: map[refusalKey]time.Time{}}
}

// Note remembers c as refused when d, a decision that included c, left
// c's limit with nothing remaining: the request was refused by it, or was
// the last one its window admits. (The other checks of a refused decision
// may still have room.)
func (r *Refusals) Note(d Decision, c Check) {
	for i := range d.n {
		res := d.results[i]
		if res.Limit.Name != c.Limit.Name {
			continue
		}
		if res.Remaining > 0 || res.Reset <= 0 {
			return
		}
		now := r.now()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.sweepLocked(now)
		if len(r.until) < maxRefusals {
			r.until[refusalKey{c.Limit.Name, c.Subject}] = now.Add(res.Reset)
			r.size.Store(int64(len(r.until)))
		}
		return
	}
}

// Refused reports whether c is remembered as refused; the decision then
// refuses the request with c's RateLimit headers and Retry-After as of now.
func (r *Refusals) Refused(c Check) (Decision, bool) {
	if r.size.Load() == 0 {
		return Decision{}, false
	}
	now := r.now()
	if now.UnixNano() >= r.sweepAt.Load() {
		r.mu.Lock()
		r.sweepLocked(now)
		r.mu.Unlock()
	}
	r.mu.RLock()
	until, ok := r.until[refusalKey{c.Limit.Name, c.Subject}]
	r.mu.RUnlock()
	if !ok || !now.Before(until) {
		return Decision{}, false
	}
	left := until.Sub(now)
	d := Decision{RetryAfter: left, n: 1}
	d.results[0] = Result{Limit: c.Limit, Reset: left}
	return d, true
}

// sweepLocked drops the refusals that have ended, at most every sweepEvery;
// r.mu must be held for writing.
func (r *Refusals) sweepLocked(now time.Time) {
	if now.UnixNano() < r.sweepAt.Load() {
		return
	}
	r.sweepAt.Store(now.Add(sweepEvery).UnixNano())
	for k, until := range r.until {
		if !now.Before(until) {
			delete(r.until, k)
		}
	}
	r.size.Store(int64(len(r.until)))
}
