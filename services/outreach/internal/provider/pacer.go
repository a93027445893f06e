package provider

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrDailyQuota: the account has sent its messages for the day. Wait
// returns it inside a temporary *Error whose RetryAfter is the time left
// until the next day (UTC), so the caller reschedules the message instead of
// holding a worker for hours.
var ErrDailyQuota = errors.New("provider: daily quota of the account spent")

// Pacer keeps one provider account to its rate: at most perSecond messages
// a second, evenly spaced (one every 1/perSecond, never a burst, also after
// an idle spell), and at most perDay a UTC day. Hold pauses the account
// after the provider answered Retry-After. Safe for concurrent use: each
// Wait takes its own slot.
type Pacer struct {
	interval time.Duration // 0: no per-second limit
	perDay   int           // 0: no daily limit
	clock    Clock

	mu        sync.Mutex
	next      time.Time // the earliest free slot
	holdUntil time.Time
	day       time.Time // the UTC day dayCount counts
	dayCount  int
}

// NewPacer paces at perSecond and perDay (0 or less: that limit is off) on
// clock (SystemClock when nil).
func NewPacer(perSecond, perDay int, clock Clock) *Pacer {
	if clock == nil {
		clock = SystemClock
	}
	p := &Pacer{clock: clock, perDay: max(perDay, 0)}
	if perSecond > 0 {
		p.interval = time.Second / time.Duration(perSecond)
	}
	return p
}

// Wait blocks until the account may send one message, or returns ctx's
// error, or the daily quota's temporary *Error.
func (p *Pacer) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		at, err := p.reserve()
		if err != nil {
			return err
		}
		if d := at.Sub(p.clock.Now()); d > 0 {
			select {
			case <-ctx.Done():
				p.release(at)
				return ctx.Err()
			case <-p.clock.After(d):
			}
		}
		if p.confirm(at) {
			return nil
		}
		// A Hold came while we waited: the slot is void, take a new one.
	}
}

// Hold keeps the account from sending for d from now (a Retry-After).
func (p *Pacer) Hold(d time.Duration) {
	if d <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	until := p.clock.Now().Add(d)
	if until.After(p.holdUntil) {
		p.holdUntil = until
	}
	if p.holdUntil.After(p.next) {
		p.next = p.holdUntil
	}
}

func (p *Pacer) reserve() (time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	at := now
	if p.next.After(at) {
		at = p.next
	}
	if p.perDay > 0 {
		day := at.UTC().Truncate(24 * time.Hour)
		if !day.Equal(p.day) {
			p.day, p.dayCount = day, 0
		}
		if p.dayCount >= p.perDay {
			tomorrow := day.Add(24 * time.Hour)
			return time.Time{}, &Error{Provider: "pacer", Code: "daily_quota", RetryAfter: tomorrow.Sub(now), Err: ErrDailyQuota}
		}
		p.dayCount++
	}
	p.next = at.Add(p.interval)
	return at, nil
}

// confirm keeps the slot at, unless a hold now covers it (then it is
// given back and false returned).
func (p *Pacer) confirm(at time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.holdUntil.After(at) {
		p.refund(at)
		return false
	}
	return true
}

// release gives back a slot its waiter no longer wants.
func (p *Pacer) release(at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refund(at)
	if p.next.Equal(at.Add(p.interval)) && !p.holdUntil.After(at) {
		p.next = at // the last slot handed out: the next waiter may have it
	}
}

func (p *Pacer) refund(at time.Time) {
	if p.perDay > 0 && at.UTC().Truncate(24*time.Hour).Equal(p.day) && p.dayCount > 0 {
		p.dayCount--
	}
}

// PacedEmail sends through e at the pacer's rate and holds the pacer for
// the Retry-After of a temporary refusal. A refusal is returned as it is:
// the caller retries (the next Wait honours the hold).
func PacedEmail(e Email, p *Pacer) Email { return pacedEmail{e: e, p: p} }

// PacedSMS is PacedEmail for text messages.
func PacedSMS(s SMS, p *Pacer) SMS { return pacedSMS{s: s, p: p} }

type pacedEmail struct {
	e Email
	p *Pacer
}

func (pe pacedEmail) Name() string { return pe.e.Name() }

func (pe pacedEmail) SendEmail(ctx context.Context, m EmailMessage) (Result, error) {
	return paced(ctx, pe.p, func() (Result, error) { return pe.e.SendEmail(ctx, m) })
}

type pacedSMS struct {
	s SMS
	p *Pacer
}

func (ps pacedSMS) Name() string { return ps.s.Name() }

func (ps pacedSMS) SendSMS(ctx context.Context, m SMSMessage) (Result, error) {
	return paced(ctx, ps.p, func() (Result, error) { return ps.s.SendSMS(ctx, m) })
}

func paced(ctx context.Context, p *Pacer, send func() (Result, error)) (Result, error) {
	if err := p.Wait(ctx); err != nil {
		return Result{}, err
	}
	r, err := send()
	var pe *Error
	if errors.As(err, &pe) && !pe.Permanent && pe.RetryAfter > 0 {
		p.Hold(pe.RetryAfter)
	}
	return r, err
}
