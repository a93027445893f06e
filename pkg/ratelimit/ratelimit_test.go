package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/ratelimit"
	"reos.dev/pkg/testkit"
)

func mustLimit(t *testing.T, name string, n int, w time.Duration) ratelimit.Limit {
	t.Helper()
	l, err := ratelimit.NewLimit(name, n, w)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newLimiter(t *testing.T) *ratelimit.Limiter {
	t.Helper()
	client, prefix := testkit.Redis(t)
	l, err := ratelimit.New(client, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestParseLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec string
		want       int
		window     time.Duration
		wantErr    bool
	}{
		{name: "seconds suffix", spec: "600/60s", want: 600, window: time.Minute},
		{name: "bare seconds", spec: "20/60", want: 20, window: time.Minute},
		{name: "minutes", spec: " 5 / 1m ", want: 5, window: time.Minute},
		{name: "hour", spec: "1000/1h", want: 1000, window: time.Hour},
		{name: "no slash", spec: "600", wantErr: true},
		{name: "zero requests", spec: "0/60s", wantErr: true},
		{name: "negative", spec: "-1/60s", wantErr: true},
		{name: "sub-second window", spec: "5/500ms", wantErr: true},
		{name: "fractional window", spec: "5/1500ms", wantErr: true},
		{name: "garbage window", spec: "5/soon", wantErr: true},
		{name: "garbage count", spec: "many/60s", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, err := ratelimit.ParseLimit("user", tc.spec)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseLimit(%q) = %+v, want error", tc.spec, l)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Requests != tc.want || l.Window != tc.window {
				t.Errorf("ParseLimit(%q) = %d/%s, want %d/%s", tc.spec, l.Requests, l.Window, tc.want, tc.window)
			}
		})
	}
}

func TestNewLimitRejectsBadNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", `a"b`, "a b", "a;q=1", strings.Repeat("x", 65)} {
		if _, err := ratelimit.NewLimit(name, 1, time.Second); err == nil {
			t.Errorf("NewLimit(%q) accepted a bad name", name)
		}
	}
}

func TestNewRejectsNilClient(t *testing.T) {
	t.Parallel()
	if _, err := ratelimit.New(nil, "x:"); err == nil {
		t.Fatal("New(nil) returned no error")
	}
}

func TestExactlyNPass(t *testing.T) {
	t.Parallel()
	lim := newLimiter(t)
	limit := mustLimit(t, "user", 5, time.Minute)
	ctx := t.Context()
	for i := range 5 {
		d, err := lim.Allow(ctx, ratelimit.Check{Limit: limit, Subject: "u1"})
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed {
			t.Fatalf("request %d refused", i+1)
		}
		if got, want := d.Result(0).Remaining, 4-i; got != want {
			t.Errorf("request %d: remaining = %d, want %d", i+1, got, want)
		}
		if r := d.Result(0).Reset; r <= 0 || r > time.Minute {
			t.Errorf("request %d: reset = %s, want within (0, 1m]", i+1, r)
		}
	}
	d, err := lim.Allow(ctx, ratelimit.Check{Limit: limit, Subject: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed {
		t.Fatal("request 6 allowed, want refused")
	}
	if d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
		t.Errorf("RetryAfter = %s, want within (0, 1m]", d.RetryAfter)
	}
	if !errors.Is(d.Err(), apperr.ErrTooManyRequests) {
		t.Errorf("Err() = %v, want too many requests", d.Err())
	}
	// Another subject has its own window.
	d, err = lim.Allow(ctx, ratelimit.Check{Limit: limit, Subject: "u2"})
	if err != nil || !d.Allowed {
		t.Fatalf("other subject: allowed=%t err=%v", d.Allowed, err)
	}
}

func TestConcurrentRequestsAdmitExactlyN(t *testing.T) {
	t.Parallel()
	lim := newLimiter(t)
	limit := mustLimit(t, "ip", 50, time.Minute)
	var passed, refused atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				d, err := lim.Allow(context.Background(), ratelimit.Check{Limit: limit, Subject: "10.0.0.1"})
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					passed.Add(1)
				} else {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if passed.Load() != 50 || refused.Load() != 110 {
		t.Errorf("passed %d refused %d, want 50 and 110", passed.Load(), refused.Load())
	}
}

func TestAllOrNothing(t *testing.T) {
	t.Parallel()
	lim := newLimiter(t)
	ctx := t.Context()
	wide := mustLimit(t, "ip", 10, time.Minute)
	strict := mustLimit(t, "auth", 2, time.Minute)
	both := []ratelimit.Check{{Limit: wide, Subject: "1.2.3.4"}, {Limit: strict, Subject: "1.2.3.4"}}
	for i := range 2 {
		d, err := lim.Allow(ctx, both...)
		if err != nil || !d.Allowed {
			t.Fatalf("request %d: allowed=%t err=%v", i+1, d.Allowed, err)
		}
	}
	d, err := lim.Allow(ctx, both...)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed {
		t.Fatal("third request passed the strict limit")
	}
	if d.Len() != 2 || d.Result(0).Remaining != 8 || d.Result(1).Remaining != 0 {
		t.Errorf("results = %+v, %+v; want wide remaining 8 (refusal not recorded), strict 0", d.Result(0), d.Result(1))
	}
	// The refused request was not counted against the wide limit either.
	d, err = lim.Allow(ctx, ratelimit.Check{Limit: wide, Subject: "1.2.3.4"})
	if err != nil || !d.Allowed || d.Result(0).Remaining != 7 {
		t.Fatalf("wide alone: allowed=%t remaining=%d err=%v, want allowed with 7 left", d.Allowed, d.Result(0).Remaining, err)
	}
}

func TestWindowSlides(t *testing.T) {
	t.Parallel()
	lim := newLimiter(t)
	ctx := t.Context()
	limit := mustLimit(t, "user", 2, time.Second)
	c := ratelimit.Check{Limit: limit, Subject: "slide"}
	for range 2 {
		if d, err := lim.Allow(ctx, c); err != nil || !d.Allowed {
			t.Fatalf("allowed=%t err=%v", d.Allowed, err)
		}
	}
	refusedFrom := time.Now()
	d, err := lim.Allow(ctx, c)
	refusedTo := time.Now()
	if err != nil || d.Allowed {
		t.Fatalf("third: allowed=%t err=%v, want refused", d.Allowed, err)
	}
	// The window runs on Redis's clock, which a test cannot move, so the
	// test asks until it is admitted (a refusal is not recorded, so asking
	// costs nothing) and checks that the admission came when RetryAfter
	// said: none before it, no refusal after it. Both clocks are this
	// machine's; skew allows for their rounding.
	const skew = 5 * time.Millisecond
	var wrong, last string
	testkit.Eventually(t, d.RetryAfter+5*time.Second, func() bool {
		from := time.Now()
		next, err := lim.Allow(ctx, c)
		to := time.Now()
		switch {
		case err != nil:
			wrong = err.Error()
			return true
		case next.Allowed && to.Sub(refusedFrom) < d.RetryAfter-skew:
			wrong = fmt.Sprintf("admitted at most %s after the refusal, before its RetryAfter %s", to.Sub(refusedFrom), d.RetryAfter)
			return true
		case !next.Allowed && from.Sub(refusedTo) > d.RetryAfter+skew:
			wrong = fmt.Sprintf("refused at least %s after the refusal, past its RetryAfter %s", from.Sub(refusedTo), d.RetryAfter)
			return true
		}
		last = fmt.Sprintf("allowed=%t retry after %s", next.Allowed, next.RetryAfter)
		return next.Allowed
	}, func() string { return "never admitted again; last: " + last })
	if wrong != "" {
		t.Fatal(wrong)
	}
}

func TestSetHeaders(t *testing.T) {
	t.Parallel()
	lim := newLimiter(t)
	ctx := t.Context()
	user := mustLimit(t, "user", 2, time.Minute)
	auth := mustLimit(t, "auth", 1, 30*time.Second)

	d, err := lim.Allow(ctx, ratelimit.Check{Limit: user, Subject: "h"})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	d.SetHeaders(h)
	if got := h.Get("RateLimit-Policy"); got != `"user";q=2;w=60` {
		t.Errorf("RateLimit-Policy = %q", got)
	}
	if got := h.Get("RateLimit"); !strings.HasPrefix(got, `"user";r=1;t=`) {
		t.Errorf("RateLimit = %q", got)
	}
	if h.Get("Retry-After") != "" {
		t.Error("Retry-After set on an allowed request")
	}

	checks := []ratelimit.Check{{Limit: user, Subject: "h2"}, {Limit: auth, Subject: "h2"}}
	if _, err := lim.Allow(ctx, checks...); err != nil {
		t.Fatal(err)
	}
	d, err = lim.Allow(ctx, checks...)
	if err != nil {
		t.Fatal(err)
	}
	h = http.Header{}
	d.SetHeaders(h)
	if got := h.Get("RateLimit-Policy"); got != `"user";q=2;w=60, "auth";q=1;w=30` {
		t.Errorf("RateLimit-Policy = %q", got)
	}
	if got := h.Get("RateLimit"); !strings.Contains(got, `"user";r=1;t=`) || !strings.Contains(got, `, "auth";r=0;t=`) {
		t.Errorf("RateLimit = %q", got)
	}
	if ra := h.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q on a refusal", ra)
	}
}

func TestAllowErrors(t *testing.T) {
	t.Parallel()
	lim := newLimiter(t)
	ctx := t.Context()
	l := mustLimit(t, "user", 1, time.Second)
	too := make([]ratelimit.Check, ratelimit.MaxChecks+1)
	for i := range too {
		too[i] = ratelimit.Check{Limit: l, Subject: "x"}
	}
	if _, err := lim.Allow(ctx, too...); !errors.Is(err, ratelimit.ErrTooManyChecks) {
		t.Errorf("too many checks: err = %v", err)
	}
	if _, err := lim.Allow(ctx, ratelimit.Check{Limit: ratelimit.Limit{Name: "raw", Requests: 1, Window: time.Second}}); err == nil {
		t.Error("a hand-built Limit was accepted")
	}
	if d, err := lim.Allow(ctx); err != nil || !d.Allowed {
		t.Errorf("no checks: allowed=%t err=%v", d.Allowed, err)
	}

	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })
	dl, err := ratelimit.New(down, "x:")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dl.Allow(ctx, ratelimit.Check{Limit: l, Subject: "x"}); err == nil {
		t.Error("Allow against a dead Redis returned no error")
	}
}

func BenchmarkAllow(b *testing.B) {
	client, prefix := testkit.Redis(b)
	lim, err := ratelimit.New(client, prefix)
	if err != nil {
		b.Fatal(err)
	}
	l, _ := ratelimit.NewLimit("user", 1<<30, time.Minute)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lim.Allow(ctx, ratelimit.Check{Limit: l, Subject: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBatchedDecisionsStayExact sends many concurrent decisions, which the
// limiter pipelines in batches, and still admits exactly the limit.
func TestBatchedDecisionsStayExact(t *testing.T) {
	t.Parallel()
	lim := newLimiter(t)
	limit := mustLimit(t, "user", 300, time.Minute)
	var passed atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 10 {
				d, err := lim.Allow(context.Background(), ratelimit.Check{Limit: limit, Subject: "u1"})
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					passed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if passed.Load() != 300 {
		t.Fatalf("passed %d of 640, want exactly 300", passed.Load())
	}
}

// TestScriptReloadedAfterFlush: Redis forgetting the script (restart,
// SCRIPT FLUSH) costs one reload, not an error.
func TestScriptReloadedAfterFlush(t *testing.T) {
	client, prefix := testkit.Redis(t)
	lim, err := ratelimit.New(client, prefix)
	if err != nil {
		t.Fatal(err)
	}
	limit := mustLimit(t, "user", 10, time.Minute)
	for i := range 2 {
		if err := client.ScriptFlush(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
		d, err := lim.Allow(t.Context(), ratelimit.Check{Limit: limit, Subject: "flush"})
		if err != nil || !d.Allowed || d.Result(0).Remaining != 9-i {
			t.Fatalf("after SCRIPT FLUSH #%d: allowed=%t remaining=%d err=%v", i+1, d.Allowed, d.Result(0).Remaining, err)
		}
	}
}
