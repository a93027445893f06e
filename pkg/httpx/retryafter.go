package httpx

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps a Retry-After read by RetryAfter: a day is the longest
// hold that makes sense from a provider or a webhook receiver; anything
// longer is a misreading.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After value (RFC 9110: delay seconds or an HTTP
// date, relative to now); 0 when absent, unreadable or past, at most
// MaxRetryAfter.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		d = time.Duration(min(secs, uint64(MaxRetryAfter/time.Second))) * time.Second // ErrRange: secs is the largest uint64
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}
