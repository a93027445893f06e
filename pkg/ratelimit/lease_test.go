package ratelimit_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reos.dev/pkg/ratelimit"
	"reos.dev/pkg/testkit"
)

// replicas returns n limiters sharing one Redis prefix, as gateway replicas do.
func replicas(t *testing.T, n int) []*ratelimit.Limiter {
	t.Helper()
	client, prefix := testkit.Redis(t)
	out := make([]*ratelimit.Limiter, n)
	for i := range out {
		l, err := ratelimit.New(client, prefix)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = l
	}
	return out
}

func leased(t *testing.T, l *ratelimit.Limiter, d time.Duration, maxLease int) *ratelimit.Leased {
	t.Helper()
	p, err := l.Leased(d, maxLease)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type allower interface {
	Allow(context.Context, ...ratelimit.Check) (ratelimit.Decision, error)
}

// TestLeasesNeverAdmitMoreThanTheLimit: two leasing replicas and one exact
// limiter hammering one subject concurrently admit at most the limit, and
// nearly all of it (what a replica leases but does not use is lost).
func TestLeasesNeverAdmitMoreThanTheLimit(t *testing.T) {
	t.Parallel()
	rs := replicas(t, 3)
	limit := mustLimit(t, "user", 128, 10*time.Second)
	fronts := []allower{leased(t, rs[0], 200*time.Millisecond, 64), leased(t, rs[1], 200*time.Millisecond, 64), rs[2]}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			d, err := fronts[i%3].Allow(context.Background(), ratelimit.Check{Limit: limit, Subject: "u1"})
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	// The cap is 128/16 = 8 per lease: each leasing replica can strand at
	// most one lease.
	if n := admitted.Load(); n > 128 || n < 128-2*8 {
		t.Fatalf("admitted %d of a 128 limit, want at most 128 and at least 112", n)
	}
}

// TestStrictLimitIsDecidedExactly: a limit too small to lease from (15 <
// 16) is decided request by request, so exactly 15 pass.
func TestStrictLimitIsDecidedExactly(t *testing.T) {
	t.Parallel()
	p := leased(t, replicas(t, 1)[0], 200*time.Millisecond, 64)
	limit := mustLimit(t, "auth", 15, 10*time.Second)
	for i := range 20 {
		d, err := p.Allow(context.Background(), ratelimit.Check{Limit: limit, Subject: "ip"})
		if err != nil {
			t.Fatal(err)
		}
		if want := i < 15; d.Allowed != want {
			t.Fatalf("request %d allowed=%t, want %t", i+1, d.Allowed, want)
		}
		if !d.Allowed && (d.RetryAfter <= 0 || d.RetryAfter > 10*time.Second) {
			t.Fatalf("refused with Retry-After %s", d.RetryAfter)
		}
		if d.Allowed && d.Result(0).Remaining != 14-i {
			t.Fatalf("request %d remaining %d, want %d", i+1, d.Result(0).Remaining, 14-i)
		}
	}
}

// TestBusyClientIsServedFromLeases: 100 quick requests take a handful of
// scripts (leases of 1, 2, 4 … 64), and Remaining still counts down by one
// per request.
func TestBusyClientIsServedFromLeases(t *testing.T) {
	t.Parallel()
	client, prefix := testkit.Redis(t)
	l, err := ratelimit.New(client, prefix)
	if err != nil {
		t.Fatal(err)
	}
	p := leased(t, l, time.Second, 64)
	limit := mustLimit(t, "user", 10000, 60*time.Second)
	for i := range 100 {
		d, err := p.Allow(context.Background(), ratelimit.Check{Limit: limit, Subject: "busy"})
		if err != nil || !d.Allowed {
			t.Fatalf("request %d: %+v %v", i+1, d, err)
		}
		if got := d.Result(0).Remaining; got != 10000-1-i {
			t.Fatalf("request %d remaining %d, want %d", i+1, got, 10000-1-i)
		}
	}
	members, err := client.ZRange(context.Background(), prefix+"user:busy", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	leases := map[string]bool{}
	for _, m := range members {
		leases[m[:strings.LastIndexByte(m, ':')]] = true
	}
	// 1+2+4+8+16+32+64 = 127 ≥ 100: seven leases.
	if len(leases) != 7 || len(members) != 127 {
		t.Fatalf("%d leases recorded %d admissions, want 7 leases of 127", len(leases), len(members))
	}
}

// TestLeaseEndsWithItsDuration: admissions left when a lease ends are not
// handed out later; the next request asks Redis again (and the lease
// shrinks). The lease's end is read on the local clock, which the test
// moves; the 60 s window on Redis's clock does not come into it.
func TestLeaseEndsWithItsDuration(t *testing.T) {
	t.Parallel()
	client, prefix := testkit.Redis(t)
	l, err := ratelimit.New(client, prefix)
	if err != nil {
		t.Fatal(err)
	}
	const duration = time.Second
	p := leased(t, l, duration, 64)
	clock := testkit.NewClock()
	ratelimit.SetLeaseClock(p, clock.Now)
	limit := mustLimit(t, "user", 10000, 60*time.Second)
	check := ratelimit.Check{Limit: limit, Subject: "idle"}
	recorded := func() int64 {
		t.Helper()
		n, err := client.ZCard(context.Background(), prefix+"user:idle").Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	allow := func() {
		t.Helper()
		if d, err := p.Allow(context.Background(), check); err != nil || !d.Allowed {
			t.Fatalf("allowed=%t err=%v", d.Allowed, err)
		}
	}
	for range 4 { // leases of 1 and 2, then one of 4 with 3 left
		allow()
	}
	leased := int64(1 + 2 + 4)
	if n := recorded(); n != leased {
		t.Fatalf("%d admissions recorded, want %d", n, leased)
	}
	// Until its end the lease serves locally: Redis hears nothing.
	clock.Advance(duration - time.Nanosecond)
	allow()
	if n := recorded(); n != leased {
		t.Fatalf("within the lease: %d admissions recorded, want still %d", n, leased)
	}
	// At its end the two left are not handed out: a fresh lease, halved
	// because the last one ended unused, is asked for.
	clock.Advance(time.Nanosecond)
	allow()
	if n := recorded(); n != leased+4/2 {
		t.Fatalf("after the lease ended: %d admissions recorded, want %d (a fresh lease of %d)", n, leased+4/2, 4/2)
	}
}

func TestLeasedRejectsBadParameters(t *testing.T) {
	t.Parallel()
	l := replicas(t, 1)[0]
	for _, c := range []struct {
		d time.Duration
		n int
	}{{0, 8}, {2 * time.Second, 8}, {time.Millisecond, 0}} {
		if _, err := l.Leased(c.d, c.n); err == nil {
			t.Errorf("Leased(%s, %d) accepted", c.d, c.n)
		}
	}
}
