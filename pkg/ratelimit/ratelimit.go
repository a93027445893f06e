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
	"sync"
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

// Client is what the limiter needs of a Redis client: scripts, and pipelines
// to send many decisions in one write. *redis.Client and
// redis.UniversalClient satisfy it.
type Client interface {
	redis.Scripter
	Pipeline() redis.Pipeliner
}

// Limiter decides against Redis. It is safe for concurrent use.
//
// Concurrent decisions are batched: the first caller to find no batch in
// flight sends every pending decision as one pipeline, and callers arriving
// meanwhile form the next batch. A lone request goes out at once (nothing
// waits for a batch to fill), while under load one write and one read carry
// many decisions, which saves system calls in both the gateway and Redis.
// Redis runs the scripts one after another, so batching never changes a
// decision.
type Limiter struct {
	client      Client
	prefix      string
	script      *redis.Script
	leaseScript *redis.Script
	// instance and seq make every recorded member unique across replicas, so
	// two requests in the same microsecond are two entries, not one.
	instance string
	seq      atomic.Uint64

	mu       sync.Mutex
	pending  []*call
	flushing bool
}

// call is one decision waiting for its batch.
type call struct {
	script *redis.Script
	keys   []string
	args   []any
	raw    []int64
	err    error
	done   chan struct{}
}

// maxBatch bounds one pipeline; batchTimeout bounds one round trip, which
// serves many callers and so cannot use any one caller's context.
const (
	maxBatch     = 128
	batchTimeout = 2 * time.Second
)

// New returns a limiter whose keys are prefix + policy name + ":" + subject.
// It returns an error on a nil client.
func New(client Client, prefix string) (*Limiter, error) {
	if client == nil {
		return nil, errors.New("ratelimit: nil Redis client")
	}
	return &Limiter{
		client:      client,
		prefix:      prefix,
		script:      redis.NewScript(slidingLogLua),
		leaseScript: redis.NewScript(leaseLua),
		instance:    strconv.FormatInt(time.Now().UnixNano(), 36),
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
	if err := l.prepare(checks, keys, args[1:]); err != nil {
		return d, err
	}
	args[0] = l.member()
	raw, err := l.decide(ctx, l.script, keys, args)
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

// prepare fills keys and the limit/window argument pairs of checks.
func (l *Limiter) prepare(checks []Check, keys []string, pairs []any) error {
	for i, c := range checks {
		if c.Limit.policy == "" {
			return fmt.Errorf("ratelimit: check %d: limit %q was not built with NewLimit or ParseLimit", i, c.Limit.Name)
		}
		keys[i] = l.prefix + c.Limit.Name + ":" + c.Subject
		pairs[2*i] = c.Limit.argLimit
		pairs[2*i+1] = c.Limit.argWin
	}
	return nil
}

// member returns a sorted-set member unique across calls and replicas.
func (l *Limiter) member() string { return l.instance + ":" + strconv.FormatUint(l.seq.Add(1), 36) }

// decide queues one script call and returns its reply, sending the batch
// itself when no other caller is doing so.
func (l *Limiter) decide(ctx context.Context, script *redis.Script, keys []string, args []any) ([]int64, error) {
	c := &call{script: script, keys: keys, args: args, done: make(chan struct{})}
	l.mu.Lock()
	l.pending = append(l.pending, c)
	if l.flushing {
		l.mu.Unlock()
		select {
		case <-c.done:
			return c.raw, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l.flushing = true
	batch := l.takeBatch()
	l.mu.Unlock()

	l.send(batch) // c is in this batch: it was queued before flushing began
	if l.finishOrContinue() {
		// Others queued while this batch was out; a fresh goroutine sends
		// theirs so this request is not held up serving them.
		go l.flushLoop()
	}
	return c.raw, c.err
}

// takeBatch removes up to maxBatch pending calls; l.mu must be held.
func (l *Limiter) takeBatch() []*call {
	n := min(len(l.pending), maxBatch)
	batch := make([]*call, n)
	copy(batch, l.pending)
	rest := copy(l.pending, l.pending[n:])
	clear(l.pending[rest:])
	l.pending = l.pending[:rest]
	return batch
}

// finishOrContinue ends the flushing turn when nothing is pending and
// reports whether a next batch must be sent.
func (l *Limiter) finishOrContinue() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		l.flushing = false
		return false
	}
	return true
}

func (l *Limiter) flushLoop() {
	for {
		l.mu.Lock()
		batch := l.takeBatch()
		l.mu.Unlock()
		l.send(batch)
		if !l.finishOrContinue() {
			return
		}
	}
}

// send runs a batch as one pipeline of EVALSHA, loading the scripts and
// retrying once if Redis lost them (restart, SCRIPT FLUSH), and wakes every
// caller with its own reply or error.
func (l *Limiter) send(batch []*call) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	cmds := l.pipeline(ctx, batch)
	if noScript(cmds) && l.script.Load(ctx, l.client).Err() == nil && l.leaseScript.Load(ctx, l.client).Err() == nil {
		cmds = l.pipeline(ctx, batch)
	}
	for i, c := range batch {
		c.raw, c.err = cmds[i].Int64Slice()
		close(c.done)
	}
}

// pipeline sends the batch; every command carries its own reply or error
// (a failed connection sets the error on all of them).
func (l *Limiter) pipeline(ctx context.Context, batch []*call) []*redis.Cmd {
	pipe := l.client.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	for i, c := range batch {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	return cmds
}

func noScript(cmds []*redis.Cmd) bool {
	for _, c := range cmds {
		if err := c.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			return true
		}
	}
	return false
}
