package tests

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRateLimitPerUser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: map[string]string{"RATE_LIMIT_USER": "5/60s"}})
	alice := h.token("0190a0f0-0000-7000-8000-0000000000b1")
	bob := h.token("0190a0f0-0000-7000-8000-0000000000b2")

	passed, refused := 0, 0
	var last response
	for i := range 6 {
		r := h.do("GET", "/api/v1/leads", "", bearer(alice))
		switch r.StatusCode {
		case http.StatusOK:
			passed++
			if got, want := r.Header.Get("RateLimit"), `"user";r=`+strconv.Itoa(4-i)+";t="; !strings.HasPrefix(got, want) {
				t.Errorf("request %d: RateLimit = %q, want prefix %q", i+1, got, want)
			}
		case http.StatusTooManyRequests:
			refused++
			last = r
		default:
			t.Fatalf("request %d: status %d", i+1, r.StatusCode)
		}
	}
	if passed != 5 || refused != 1 {
		t.Fatalf("passed %d, refused %d; want exactly 5 and 1", passed, refused)
	}
	expectProblem(t, last, http.StatusTooManyRequests, "rate_limited")
	if ra, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After = %q", last.Header.Get("Retry-After"))
	}
	if got := last.Header.Get("RateLimit-Policy"); got != `"user";q=5;w=60` {
		t.Errorf("RateLimit-Policy = %q", got)
	}
	if got := last.Header.Get("RateLimit"); !strings.HasPrefix(got, `"user";r=0;t=`) {
		t.Errorf("RateLimit = %q", got)
	}
	// Bob has his own window.
	r := h.do("GET", "/api/v1/leads", "", bearer(bob))
	expectStatus(t, r, http.StatusOK)
	if got := r.Header.Get("RateLimit"); !strings.HasPrefix(got, `"user";r=4;`) {
		t.Errorf("bob: RateLimit = %q", got)
	}
}

func TestRateLimitAuthIsStricterPerIP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: map[string]string{"RATE_LIMIT_IP": "10/60s", "RATE_LIMIT_AUTH": "3/60s"}})
	from := func(ip string) reqOpt { return header("X-Forwarded-For", ip) }

	codes := make([]int, 0, 4)
	var last response
	for range 4 {
		last = h.do("POST", "/api/v1/auth/login", `{"email":"a@b.c","password":"x"}`, from("198.51.100.1"))
		codes = append(codes, last.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 200 || codes[3] != 429 {
		t.Fatalf("login statuses %v, want 3 × 200 then 429", codes)
	}
	if got := last.Header.Get("RateLimit-Policy"); got != `"ip";q=10;w=60, "auth";q=3;w=60` {
		t.Errorf("RateLimit-Policy = %q", got)
	}
	if !strings.Contains(last.Header.Get("RateLimit"), `"auth";r=0;`) || last.Header.Get("Retry-After") == "" {
		t.Errorf("RateLimit = %q, Retry-After = %q", last.Header.Get("RateLimit"), last.Header.Get("Retry-After"))
	}
	// The same IP can still use other anonymous routes: the refused login
	// was not counted, 3 of 10 are used.
	r := h.do("POST", "/api/v1/compliance/unsubscribe", `{}`, from("198.51.100.1"))
	if r.StatusCode == http.StatusTooManyRequests {
		t.Fatal("the auth limit spilled over to other routes")
	}
	if got := r.Header.Get("RateLimit"); !strings.HasPrefix(got, `"ip";r=6;`) {
		t.Errorf("RateLimit after 3 logins = %q, want 6 left of 10", got)
	}
	// Another client IP logs in freely.
	expectStatus(t, h.do("POST", "/api/v1/auth/login", `{}`, from("198.51.100.2")), http.StatusOK)
}

func TestRateLimitIgnoresForwardedForFromUntrustedPeers(t *testing.T) {
	t.Parallel()
	// Nobody is trusted: X-Forwarded-For must not let a client pick its IP.
	h := newHarness(t, options{env: map[string]string{"RATE_LIMIT_AUTH": "2/60s", "TRUSTED_PROXIES": "10.255.255.255/32"}})
	codes := []int{}
	for i := range 3 {
		r := h.do("POST", "/api/v1/auth/login", `{}`, header("X-Forwarded-For", "192.0.2."+strconv.Itoa(i+1)))
		codes = append(codes, r.StatusCode)
	}
	if codes[2] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v: a spoofed X-Forwarded-For escaped the per-IP limit", codes)
	}
}

func TestRateLimitRedisDown(t *testing.T) {
	t.Parallel()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = dead.Close() })
	h := newHarness(t, options{redis: dead})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000b3")

	// Fail open on ordinary routes…
	r := h.do("GET", "/api/v1/leads", "", bearer(tok))
	expectStatus(t, r, http.StatusOK)
	if r.Header.Get("RateLimit") != "" {
		t.Error("RateLimit headers sent without a decision")
	}
	// …closed on the auth routes, which guard against password guessing.
	r = h.do("POST", "/api/v1/auth/login", `{}`)
	expectProblem(t, r, http.StatusServiceUnavailable, "rate_limit_unavailable")
	if h.ups["identity"].hits.Load() != 0 {
		t.Error("a login reached identity without a rate-limit decision")
	}
	m := h.do("GET", "/metrics", "")
	if !strings.Contains(string(m.body), `gateway_ratelimit_errors_total{mode="open"} 1`) ||
		!strings.Contains(string(m.body), `gateway_ratelimit_errors_total{mode="closed"} 1`) {
		t.Errorf("rate-limit error metrics missing:\n%s", grep(string(m.body), "ratelimit_errors"))
	}
}

func grep(s, sub string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
