package ratelimit

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed lease.lua
var leaseLua string

// Leased decides most requests in the process: it takes admissions from the
// sliding log in leases and hands them out locally until the lease is used
// up or ends, so a busy client costs one Redis script per lease instead of
// one per request.
//
// It never admits more than a limit allows in any window, across any number
// of replicas: a lease's admissions beyond the asking request's own are
// recorded in the log as if made at the lease's end (now + Duration on
// Redis's clock) and are handed out only
// until Duration has passed on the local clock since the lease was asked
// for, so each stays counted for a whole window after its request. What it
// gives up is precision the other way: admissions leased but not used before
// the lease ends stay counted until their window passes, so a client that
// stops mid-lease is refused up to one lease's worth early. Leases are kept
// small against the limit (at most Requests/16) and grow only while a client
// uses them up, so a strict limit (the login limit) is decided exactly, one
// script per request, and only a busy client is leased to in bulk.
type Leased struct {
	l        *Limiter
	duration time.Duration
	maxLease int
	now      func() time.Time

	mu      sync.Mutex
	leases  map[string]*lease
	sweepAt time.Time
}

// lease is the admissions one set of checks holds.
type lease struct {
	mu      sync.Mutex // serialises refills: one Redis call per key set at a time
	left    int        // admissions not yet handed out
	askedAt time.Time  // local time the lease was asked for
	until   time.Time  // askedAt + duration: no admission is handed out after it
	size    int        // the size the next lease asks for
	n       int
	results [MaxChecks]Result // after the grant; Remaining excludes the lease
}

// Leasing parameters.
const (
	// leaseFraction bounds a lease to Requests/leaseFraction of the
	// strictest limit it covers.
	leaseFraction = 16
	// sweepEvery is how often leases long over are dropped.
	sweepEvery = 10 * time.Second
)

// Leased returns a leasing front for l: leases last duration and hold at
// most maxLease admissions.
func (l *Limiter) Leased(duration time.Duration, maxLease int) (*Leased, error) {
	if duration <= 0 || duration > time.Second {
		return nil, fmt.Errorf("ratelimit: lease duration must be in (0, 1s], got %s", duration)
	}
	if maxLease < 1 {
		return nil, fmt.Errorf("ratelimit: max lease must be at least 1, got %d", maxLease)
	}
	return &Leased{l: l, duration: duration, maxLease: maxLease, now: time.Now, leases: map[string]*lease{}}, nil
}

// Allow admits one request when every check has room, as Limiter.Allow
// does, but from a lease when one is held. Remaining counts the unused
// admissions of the lease as remaining.
func (p *Leased) Allow(ctx context.Context, checks ...Check) (Decision, error) {
	var d Decision
	if len(checks) == 0 {
		d.Allowed = true
		return d, nil
	}
	if len(checks) > MaxChecks {
		return d, ErrTooManyChecks
	}
	var keyBuf [MaxChecks]string
	var argBuf [3 + 2*MaxChecks]any
	keys := keyBuf[:len(checks)]
	args := argBuf[:3+2*len(checks)]
	if err := p.l.prepare(checks, keys, args[3:]); err != nil {
		return d, err
	}
	id := keys[0]
	if len(keys) > 1 {
		id = strings.Join(keys, "\x00")
	}
	le := p.lease(id)

	le.mu.Lock()
	defer le.mu.Unlock()
	now := p.now()
	if le.left > 0 && now.Before(le.until) {
		le.left--
		return le.decision(now), nil
	}
	// Grow the lease while the client uses leases up within their time;
	// shrink it when one ended with admissions left.
	switch {
	case le.size == 0:
		le.size = 1
	case le.left == 0 && now.Before(le.until):
		le.size *= 2
	case le.left > 0:
		le.size = max(1, le.size/2)
	}
	le.size = min(le.size, p.cap(checks))

	args[0] = p.l.member()
	args[1] = strconv.Itoa(le.size)
	args[2] = strconv.FormatInt(p.duration.Microseconds(), 10)
	raw, err := p.l.decide(ctx, p.l.leaseScript, keys, args)
	if err != nil {
		return d, fmt.Errorf("ratelimit: %w", err)
	}
	if len(raw) != 2+2*len(checks) {
		return d, fmt.Errorf("ratelimit: lease script returned %d values, want %d", len(raw), 2+2*len(checks))
	}
	le.askedAt, le.until = now, now.Add(p.duration)
	le.n = len(checks)
	for i, c := range checks {
		le.results[i] = Result{Limit: c.Limit, Remaining: int(raw[2+2*i]), Reset: time.Duration(raw[3+2*i]) * time.Microsecond}
	}
	granted := int(raw[0])
	if granted == 0 {
		// Refused: nothing is held, and nothing was used up to grow on.
		le.left, le.until = 0, now
		d = le.decision(now)
		d.Allowed = false
		d.RetryAfter = time.Duration(raw[1]) * time.Microsecond
		return d, nil
	}
	le.left = granted - 1
	return le.decision(now), nil
}

// decision is an admission from the lease at now.
func (le *lease) decision(now time.Time) Decision {
	d := Decision{Allowed: true, n: le.n}
	elapsed := now.Sub(le.askedAt)
	for i := range le.n {
		r := le.results[i]
		r.Remaining += le.left
		r.Reset = max(r.Reset-elapsed, 0)
		d.results[i] = r
	}
	return d
}

// cap is the largest lease for checks: maxLease, and at most 1/16 of the
// strictest limit.
func (p *Leased) cap(checks []Check) int {
	c := p.maxLease
	for _, ch := range checks {
		c = min(c, ch.Limit.Requests/leaseFraction)
	}
	return max(c, 1)
}

// lease returns the lease of key set id, creating it, and now and then
// drops leases that ended long ago.
func (p *Leased) lease(id string) *lease {
	p.mu.Lock()
	defer p.mu.Unlock()
	le := p.leases[id]
	if le == nil {
		le = &lease{}
		p.leases[id] = le
	}
	if now := p.now(); now.After(p.sweepAt) {
		p.sweepAt = now.Add(sweepEvery)
		for k, other := range p.leases {
			// A lease in use (locked) is kept; one dropped while a caller
			// holds it only costs that caller a fresh lease.
			if other != le && other.mu.TryLock() {
				if now.Sub(other.until) > sweepEvery {
					delete(p.leases, k)
				}
				other.mu.Unlock()
			}
		}
	}
	return le
}
