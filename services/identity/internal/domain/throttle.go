package domain

import (
	"time"

	"reos.dev/pkg/apperr"
)

// Lockout policy: MaxFailures failed logins in a row lock the email for
// 2^n minutes, n being the number of earlier lockouts (1, 2, 4 … minutes),
// at most MaxLockout. The level n falls back to 0 once LockoutMemory has
// passed since the last lockout ended without a new one, and a streak of
// failures is forgotten after LockoutMemory without a failure.
const (
	MaxFailures   = 5
	BaseLockout   = time.Minute
	MaxLockout    = 24 * time.Hour
	LockoutMemory = 24 * time.Hour
)

// LoginThrottle is the failed-login state of one email key (EmailKey). It
// exists for unknown emails exactly as for real ones, so a lockout never
// tells an attacker whether an account exists.
type LoginThrottle struct {
	Key           string
	Failures      int
	Lockouts      int
	LastFailureAt *time.Time
	LockedUntil   *time.Time
}

// LockoutDuration is the length of the lockout that follows n earlier ones.
func LockoutDuration(n int) time.Duration {
	d := BaseLockout
	for i := 0; i < n && d < MaxLockout; i++ {
		d *= 2
	}
	return min(d, MaxLockout)
}

// Locked reports whether the key is locked at now and for how much longer.
func (t LoginThrottle) Locked(now time.Time) (time.Duration, bool) {
	if t.LockedUntil != nil && now.Before(*t.LockedUntil) {
		return t.LockedUntil.Sub(now), true
	}
	return 0, false
}

// RecordFailure counts a failed login at now. It returns the lockout that
// the failure triggered, if any. Calling it while locked does nothing: a
// locked key is refused before its password is checked.
func (t *LoginThrottle) RecordFailure(now time.Time) (time.Duration, bool) {
	if _, locked := t.Locked(now); locked {
		return 0, false
	}
	t.forget(now)
	t.Failures++
	t.LastFailureAt = &now
	if t.Failures < MaxFailures {
		return 0, false
	}
	d := LockoutDuration(t.Lockouts)
	until := now.Add(d)
	t.LockedUntil = &until
	t.Lockouts++
	t.Failures = 0
	return d, true
}

// RecordSuccess clears the failure streak. The lockout level stays for
// LockoutMemory, so an attacker who knows one password cannot reset the
// doubling by alternating it with guesses at another's.
func (t *LoginThrottle) RecordSuccess(now time.Time) {
	t.forget(now)
	t.Failures = 0
}

func (t *LoginThrottle) forget(now time.Time) {
	if t.LastFailureAt != nil && now.Sub(*t.LastFailureAt) >= LockoutMemory {
		t.Failures = 0
	}
	if t.LockedUntil != nil && now.Sub(*t.LockedUntil) >= LockoutMemory {
		t.Lockouts = 0
	}
}

// ErrAccountLocked is the answer while a key is locked: 423 with
// Retry-After, identical for unknown emails and real accounts.
func ErrAccountLocked(retryAfter time.Duration) error {
	e := apperr.New(apperr.KindLocked, ReasonAccountLocked, "too many failed sign-in attempts; try again later")
	e.RetryAfter = retryAfter
	return e
}
