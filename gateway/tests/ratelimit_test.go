package tests

import (
	"net/http"
	"slices"
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

// TestRateLimitPerIPBeforeAuthentication: requests whose token does not
// verify count against their address's per-IP budget, their 401s say so,
// and once it is used up the address is refused before any token of its is
// verified. Valid tokens do not spend it (they have the per-user limit).
func TestRateLimitPerIPBeforeAuthentication(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: map[string]string{"RATE_LIMIT_IP": "5/60s"}})
	from := func(ip string) reqOpt { return header("X-Forwarded-For", ip) }
	valid := bearer(h.token("0190a0f0-0000-7000-8000-0000000000b4"))
	garbage := header("Authorization", "Bearer not.a.jwt")

	// Authenticated requests are limited per user, not per address.
	for range 8 {
		r := h.do("GET", "/api/v1/leads", "", valid, from("198.51.100.20"))
		expectStatus(t, r, http.StatusOK)
		if got := r.Header.Get("RateLimit-Policy"); got != `"user";q=1000;w=60` {
			t.Fatalf("authenticated request: RateLimit-Policy = %q", got)
		}
	}
	for i := range 5 {
		r := h.do("GET", "/api/v1/leads", "", garbage, from("198.51.100.20"))
		expectProblem(t, r, http.StatusUnauthorized, "invalid_token")
		if got, want := r.Header.Get("RateLimit"), `"ip";r=`+strconv.Itoa(4-i)+";t="; !strings.HasPrefix(got, want) {
			t.Errorf("401 number %d: RateLimit = %q, want prefix %q", i+1, got, want)
		}
		if got := r.Header.Get("RateLimit-Policy"); got != `"ip";q=5;w=60` {
			t.Errorf("401 number %d: RateLimit-Policy = %q", i+1, got)
		}
	}
	verified := h.verifyCnt.n.Load()
	for _, opt := range []reqOpt{garbage, valid, header("Authorization", "")} {
		r := h.do("GET", "/api/v1/leads", "", opt, from("198.51.100.20"))
		expectProblem(t, r, http.StatusTooManyRequests, "rate_limited")
		if !strings.HasPrefix(r.Header.Get("RateLimit"), `"ip";r=0;`) || r.Header.Get("Retry-After") == "" {
			t.Errorf("429: RateLimit = %q, Retry-After = %q", r.Header.Get("RateLimit"), r.Header.Get("Retry-After"))
		}
	}
	if n := h.verifyCnt.n.Load() - verified; n != 0 {
		t.Errorf("%d tokens of a throttled address were verified, want none", n)
	}
	if h.ups["crm"].hits.Load() != 8 {
		t.Errorf("crm was reached %d times, want only the 8 authenticated requests", h.ups["crm"].hits.Load())
	}
	// Another address is not affected.
	expectProblem(t, h.do("GET", "/api/v1/leads", "", garbage, from("198.51.100.21")), http.StatusUnauthorized, "invalid_token")
	expectStatus(t, h.do("GET", "/api/v1/leads", "", valid, from("198.51.100.21")), http.StatusOK)
}

// TestRateLimitStrictOnlyOnCredentialRoutes: the strict auth limit covers
// the routes that take a credential, per address and (for the
// authenticated ones) per account; authenticated reads such as /auth/me and
// logout follow the ordinary limits.
func TestRateLimitStrictOnlyOnCredentialRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: map[string]string{"RATE_LIMIT_AUTH": "3/60s"}})
	from := func(ip string) reqOpt { return header("X-Forwarded-For", ip) }
	alice := bearer(h.token("0190a0f0-0000-7000-8000-0000000000b5"))

	for i := range 30 {
		r := h.do("GET", "/api/v1/auth/me", "", alice, from("198.51.100.30"))
		expectStatus(t, r, http.StatusOK)
		if got := r.Header.Get("RateLimit-Policy"); got != `"user";q=1000;w=60` {
			t.Fatalf("/auth/me number %d: RateLimit-Policy = %q, want the per-user limit only", i+1, got)
		}
	}
	for range 5 {
		expectStatus(t, h.do("POST", "/api/v1/auth/logout", `{}`, from("198.51.100.30")), http.StatusOK)
	}
	codes := []int{}
	for range 4 {
		codes = append(codes, h.do("POST", "/api/v1/auth/login", `{}`, from("198.51.100.30")).StatusCode)
	}
	if !slices.Equal(codes, []int{200, 200, 200, 429}) {
		t.Fatalf("logins after 30 /auth/me and 5 logouts: %v, want 3 × 200 then 429", codes)
	}

	tests := []struct {
		name, method, path string
		authenticated      bool
	}{
		{"register", "POST", "/api/v1/auth/register", false},
		{"refresh", "POST", "/api/v1/auth/refresh", false},
		{"password change", "POST", "/api/v1/auth/password", true},
		{"admin password reset", "POST", "/api/v1/admin/users/0190a0f0-0000-7000-8000-0000000000b7/reset-password", true},
		{"trailing slash", "POST", "/api/v1/auth/password/", true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ip := "198.51.100." + strconv.Itoa(40+i)
			user := bearer(h.token("0190a0f0-0000-7000-8000-0000000001" + strconv.Itoa(10+i)))
			other := bearer(h.token("0190a0f0-0000-7000-8000-0000000002" + strconv.Itoa(10+i)))
			opts := func(ip string) []reqOpt {
				if tc.authenticated {
					return []reqOpt{user, from(ip)}
				}
				return []reqOpt{from(ip)}
			}
			for range 3 {
				expectStatus(t, h.do(tc.method, tc.path, `{}`, opts(ip)...), http.StatusOK)
			}
			r := h.do(tc.method, tc.path, `{}`, opts(ip)...)
			expectProblem(t, r, http.StatusTooManyRequests, "rate_limited")
			if !strings.Contains(r.Header.Get("RateLimit-Policy"), `"auth";q=3;w=60`) {
				t.Errorf("RateLimit-Policy = %q", r.Header.Get("RateLimit-Policy"))
			}
			if !tc.authenticated {
				return
			}
			// The account's own limit follows it to another address…
			r = h.do(tc.method, tc.path, `{}`, user, from(ip+"0"))
			expectProblem(t, r, http.StatusTooManyRequests, "rate_limited")
			if !strings.Contains(r.Header.Get("RateLimit"), `"account";r=0;`) {
				t.Errorf("per-account refusal: RateLimit = %q", r.Header.Get("RateLimit"))
			}
			// …where another account still has room.
			expectStatus(t, h.do(tc.method, tc.path, `{}`, other, from(ip+"0")), http.StatusOK)
		})
	}
}
