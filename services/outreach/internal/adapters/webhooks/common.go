package webhooks

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a signed timestamp may be from the decoder's
// clock, either way, before the request counts as a replay (the Standard
// Webhooks recommendation; SendGrid uses the same window here).
const DefaultTolerance = 5 * time.Minute

// Option adjusts a decoder built by one of the constructors.
type Option func(*options)

type options struct {
	now       func() time.Time
	tolerance time.Duration
}

// WithClock gives the decoder its clock (tests use a fake one); the default
// is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithTolerance changes the replay window of the timestamped schemes (the
// mock's Standard Webhooks and SendGrid's); d must be positive.
func WithTolerance(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.tolerance = d
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{now: time.Now, tolerance: DefaultTolerance}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// unauthorized wraps ErrUnauthorized with why, for the log line of the
// transport; the reason never carries secret material.
func unauthorized(why string) error { return fmt.Errorf("%w: %s", ErrUnauthorized, why) }

// malformed wraps ErrMalformed with what was wrong in a signed body.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// maxUnixDigits bounds a Unix-seconds timestamp before it is parsed (11
// digits reach the year 5138).
const maxUnixDigits = 11

var errTimestamp = errors.New("timestamp missing, unreadable or outside the replay window")

// checkUnixTimestamp parses a Unix-seconds header value and refuses one
// further than tolerance from now, in the past (a replay) or the future.
func checkUnixTimestamp(v string, now time.Time, tolerance time.Duration) (time.Time, error) {
	if v == "" || len(v) > maxUnixDigits {
		return time.Time{}, errTimestamp
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return time.Time{}, errTimestamp
		}
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, errTimestamp
	}
	ts := time.Unix(sec, 0).UTC()
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return time.Time{}, errTimestamp
	}
	return ts, nil
}

// equalSecret compares a presented credential with the configured one in
// time that depends on neither's content nor length: both are hashed first,
// so ConstantTimeCompare always sees 32 bytes.
func equalSecret(presented, configured string) bool {
	p := sha256.Sum256([]byte(presented))
	c := sha256.Sum256([]byte(configured))
	return subtle.ConstantTimeCompare(p[:], c[:]) == 1
}

// eventID joins the parts that identify one provider event when the
// provider gives none of its own: the same delivery retried gives the same
// id, so the caller's idempotency holds.
func eventID(parts ...string) string { return strings.Join(parts, ":") }
