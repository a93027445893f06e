// Package ratelimit is a Redis sliding-window rate limiter shared by every
// binary that throttles clients (the gateway first of all).
//
// Algorithm: an exact sliding log. Each key is a sorted set whose members are
// the admitted requests, scored by the Redis server's clock in microseconds.
// One Lua script, run with EVALSHA (a single round trip), trims the entries
// older than the window, counts the rest and admits the request only when
// every checked key is under its limit, recording it in all of them at once.
// Because the script runs atomically inside Redis and uses Redis's own clock,
// N+1 concurrent requests from any number of gateway replicas admit exactly N.
//
// What that costs: memory proportional to the admitted requests still inside
// the window (one sorted-set member of roughly 60-80 bytes per request and
// key, so a user at the default 600/min costs about 45 KB until the window
// passes), and O(log N) work per request. The two-fixed-window approximation
// would need O(1) memory but lets bursts through at window edges; the
// platform prefers the exact answer because a throttling decision is
// user-visible and tested.
//
// Refused requests are not recorded, so a client that keeps hammering while
// throttled does not push its own recovery further away. All keys of one
// call must live on one Redis node (a cluster needs hash tags).
package ratelimit

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"reos.dev/pkg/apperr"
)

//go:embed sliding_log.lua
var slidingLogLua string

// MaxChecks is the largest number of limits one Allow call can apply.
const MaxChecks = 4

// Header names from the IETF httpapi RateLimit header fields draft.
const (
	HeaderPolicy     = "RateLimit-Policy"
	HeaderRateLimit  = "RateLimit"
	HeaderRetryAfter = "Retry-After"
)

// Canonical (textproto) spellings, for direct map writes that skip
// canonicalisation on the hot path; HTTP header names are case-insensitive.
const (
	canonPolicy     = "Ratelimit-Policy"
	canonRateLimit  = "Ratelimit"
	canonRetryAfter = "Retry-After"
)

// Limit is a named quota: at most Requests within any Window.
type Limit struct {
	// Name identifies the policy in headers and keys ("user", "ip", "auth");
	// it must be a token of letters, digits, '-' and '_'.
	Name     string
	Requests int
	Window   time.Duration

	// Precomputed at construction so the hot path neither formats nor boxes.
	policy   string
	argLimit any
	argWin   any
}

// NewLimit validates and returns a limit.
func NewLimit(name string, requests int, window time.Duration) (Limit, error) {
	if !validName(name) {
		return Limit{}, fmt.Errorf("ratelimit: policy name %q must be letters, digits, '-' or '_'", name)
	}
	if requests < 1 {
		return Limit{}, fmt.Errorf("ratelimit: %s: requests must be at least 1, got %d", name, requests)
	}
	if window < time.Second || window%time.Second != 0 {
		return Limit{}, fmt.Errorf("ratelimit: %s: window must be a whole number of seconds, got %s", name, window)
	}
	l := Limit{Name: name, Requests: requests, Window: window}
	secs := int64(window / time.Second)
	l.policy = `"` + name + `";q=` + strconv.Itoa(requests) + ";w=" + strconv.FormatInt(secs, 10)
	l.argLimit = strconv.Itoa(requests)
	l.argWin = strconv.FormatInt(window.Microseconds(), 10)
	return l, nil
}

// ParseLimit reads "N/window" where window is a Go duration ("60s", "1m")
// or a bare number of seconds ("60"): "600/60s" is 600 requests a minute.
func ParseLimit(name, spec string) (Limit, error) {
	n, w, ok := strings.Cut(strings.TrimSpace(spec), "/")
	if !ok {
		return Limit{}, fmt.Errorf("ratelimit: %q is not of the form N/window (e.g. 600/60s)", spec)
	}
	requests, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil {
		return Limit{}, fmt.Errorf("ratelimit: %q: request count %q is not an integer", spec, n)
	}
	w = strings.TrimSpace(w)
	var window time.Duration
	if secs, err := strconv.Atoi(w); err == nil {
		window = time.Duration(secs) * time.Second
	} else if window, err = time.ParseDuration(w); err != nil {
		return Limit{}, fmt.Errorf("ratelimit: %q: window %q is neither seconds nor a duration", spec, w)
	}
	return NewLimit(name, requests, window)
}

// Policy returns the limit as one RateLimit-Policy item: "user";q=600;w=60.
func (l Limit) Policy() string { return l.policy }

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Check applies a limit to one subject (a user id, an IP address).
type Check struct {
	Limit   Limit
	Subject string
}

// Result is the state of one limit after a decision.
type Result struct {
	Limit Limit
	// Remaining is how many more requests the window admits now.
	Remaining int
	// Reset is how long until the oldest counted request leaves the window,
	// i.e. until Remaining grows again (0 when nothing is counted).
	Reset time.Duration
}

// Decision is the outcome of one Allow call.
type Decision struct {
	Allowed bool
	// RetryAfter, when refused, is how long until every exhausted limit has
	// room again.
	RetryAfter time.Duration

	n       int
	results [MaxChecks]Result
}

// Len returns the number of limits checked.
func (d *Decision) Len() int { return d.n }

// Result returns the state of the i-th checked limit.
func (d *Decision) Result(i int) Result { return d.results[i] }

// SetHeaders writes RateLimit-Policy and RateLimit for every checked limit,
// and Retry-After when the request was refused. Values follow the draft's
// structured-field syntax: `"user";q=600;w=60` and `"user";r=599;t=12`.
func (d *Decision) SetHeaders(h http.Header) {
	if d.n == 0 {
		return
	}
	if d.n == 1 {
		h[canonPolicy] = []string{d.results[0].Limit.policy}
	} else {
		policies := make([]string, d.n)
		for i := range d.n {
			policies[i] = d.results[i].Limit.policy
		}
		h[canonPolicy] = []string{strings.Join(policies, ", ")}
	}
	buf := make([]byte, 0, 48*d.n)
	for i := range d.n {
		r := d.results[i]
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = append(buf, '"')
		buf = append(buf, r.Limit.Name...)
		buf = append(buf, `";r=`...)
		buf = strconv.AppendInt(buf, int64(r.Remaining), 10)
		buf = append(buf, ";t="...)
		buf = strconv.AppendInt(buf, ceilSeconds(r.Reset), 10)
	}
	h[canonRateLimit] = []string{string(buf)}
	if !d.Allowed {
		h[canonRetryAfter] = []string{strconv.FormatInt(max(ceilSeconds(d.RetryAfter), 1), 10)}
	}
}

// Err returns nil when allowed, else a too-many-requests apperr carrying
// RetryAfter, ready for httpx.WriteError.
func (d *Decision) Err() error {
	if d.Allowed {
		return nil
	}
	e := apperr.New(apperr.KindTooManyRequests, "rate_limited", "too many requests; retry later")
	e.RetryAfter = max(d.RetryAfter, time.Second)
	return e
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// Limiter decides against Redis. It is safe for concurrent use.
type Limiter struct {
	client redis.Scripter
	prefix string
	script *redis.Script
	// instance and seq make every recorded member unique across replicas, so
	// two requests in the same microsecond are two entries, not one.
	instance string
	seq      atomic.Uint64
}

// New returns a limiter whose keys are prefix + policy name + ":" + subject.
// It returns an error on a nil client.
func New(client redis.Scripter, prefix string) (*Limiter, error) {
	if client == nil {
		return nil, errors.New("ratelimit: nil Redis client")
	}
	return &Limiter{
		client:   client,
		prefix:   prefix,
		script:   redis.NewScript(slidingLogLua),
		instance: strconv.FormatInt(time.Now().UnixNano(), 36),
	}, nil
}

// ErrTooManyChecks is returned when Allow is given more than MaxChecks limits.
var ErrTooManyChecks = fmt.Errorf("ratelimit: at most %d checks per call", MaxChecks)

// Allow admits one request only if every check has room, recording it in all
// of them; otherwise nothing is recorded. It takes one Redis round trip
// (EVALSHA, falling back to EVAL once after a script cache flush). An error
// means Redis could not decide; the caller chooses whether to fail open.
func (l *Limiter) Allow(ctx context.Context, checks ...Check) (Decision, error) {
	var d Decision
	if len(checks) == 0 {
		d.Allowed = true
		return d, nil
	}
	if len(checks) > MaxChecks {
		return d, ErrTooManyChecks
	}
	var keyBuf [MaxChecks]string
	var argBuf [1 + 2*MaxChecks]any
	keys := keyBuf[:len(checks)]
	args := argBuf[:1+2*len(checks)]
	args[0] = l.instance + ":" + strconv.FormatUint(l.seq.Add(1), 36)
	for i, c := range checks {
		if c.Limit.policy == "" {
			return d, fmt.Errorf("ratelimit: check %d: limit %q was not built with NewLimit or ParseLimit", i, c.Limit.Name)
		}
		keys[i] = l.prefix + c.Limit.Name + ":" + c.Subject
		args[1+2*i] = c.Limit.argLimit
		args[2+2*i] = c.Limit.argWin
	}
	raw, err := l.script.Run(ctx, l.client, keys, args...).Int64Slice()
	if err != nil {
		return d, fmt.Errorf("ratelimit: %w", err)
	}
	if len(raw) != 2+2*len(checks) {
		return d, fmt.Errorf("ratelimit: script returned %d values, want %d", len(raw), 2+2*len(checks))
	}
	d.Allowed = raw[0] == 1
	d.RetryAfter = time.Duration(raw[1]) * time.Microsecond
	d.n = len(checks)
	for i, c := range checks {
		d.results[i] = Result{
			Limit:     c.Limit,
			Remaining: int(raw[2+2*i]),
			Reset:     time.Duration(raw[3+2*i]) * time.Microsecond,
		}
	}
	return d, nil
}
