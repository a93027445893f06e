// Package domain holds platform's rules: the webhook retry schedule and
// event-type filters.
package domain

import (
	"strings"
	"time"
)

// Schedule is the Standard Webhooks retry schedule: the delay before each
// attempt (the first immediately), ten attempts in all, about 3 days.
var Schedule = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// Jitter is the share of a delay added or taken at random, so endpoints
// that failed together are not all retried in the same instant.
const Jitter = 0.1

// NextDelay returns the delay before attempt n+1 after attempt n (1-based)
// failed, jittered by unit (a uniform draw in [0, 1)) and at least
// retryAfter (the receiver's Retry-After); ok is false when n was the last
// attempt.
func NextDelay(n int, unit float64, retryAfter time.Duration) (d time.Duration, ok bool) {
	if n < 1 || n >= len(Schedule) {
		return 0, false
	}
	base := Schedule[n]
	d = base + time.Duration((2*unit-1)*Jitter*float64(base))
	return max(d, retryAfter), true
}

// MatchesEventType reports whether filter selects eventType: "*" every
// type, "lead.*" every type under "lead." at any depth, otherwise the same
// type.
func MatchesEventType(filter, eventType string) bool {
	if filter == "*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(filter, ".*"); ok {
		return strings.HasPrefix(eventType, prefix+".")
	}
	return filter == eventType
}

// ValidEventFilter reports whether f is "*", a type ("lead.created") or a
// wildcard of a prefix ("lead.*"): dot-separated segments of lower-case
// letters, digits and underscores.
func ValidEventFilter(f string) bool {
	if f == "*" {
		return true
	}
	f = strings.TrimSuffix(f, ".*")
	if f == "" || len(f) > 128 {
		return false
	}
	for seg := range strings.SplitSeq(f, ".") {
		if seg == "" {
			return false
		}
		for _, c := range seg {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
				return false
			}
		}
	}
	return true
}
