package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
)

// The edge stack's limits: the production login limit, and a per-IP limit
// small enough that the bad-token scenario reaches it quickly.
const (
	edgeAuthLimitN = 20
	edgeIPLimitN   = 80
)

// TestEdgeSecurity drives what nginx and the gateway do at the edge of the
// system (issue 9) through a stack of its own — identity, the gateway and
// nginx — because its scenarios use up the limits of the one client address
// every e2e request comes from (loopback). They run in order; each one's
// limit use is accounted for by the next.
func TestEdgeSecurity(t *testing.T) {
	s := startStackWith(t, stackOptions{
		services: []string{"identity"},
		gatewayEnv: []string{
			fmt.Sprintf("RATE_LIMIT_AUTH=%d/60s", edgeAuthLimitN),
			fmt.Sprintf("RATE_LIMIT_IP=%d/60s", edgeIPLimitN),
		},
	})
	email := strings.ToLower(testkit.UniqueName(t, "edge")) + "@example.test"
	const password = "correct horse battery staple"
	r := do(t, http.MethodPost, s.API()+"/auth/register", "", map[string]string{
		"email": email, "password": password, "full_name": "Edge Admin", "organization_name": "Edge Realty",
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("register = %d %s", r.Status, r.Body)
	}
	// Credential requests so far: 1 of edgeAuthLimitN; per-IP budget: 1.
	var tokens tokenPair

	t.Run("a login with an Idempotency-Key is never stored or replayed", func(t *testing.T) {
		creds := map[string]string{"email": email, "password": password}
		first := do(t, http.MethodPost, s.API()+"/auth/login", "", creds, "Idempotency-Key", "edge-login-1")
		second := do(t, http.MethodPost, s.API()+"/auth/login", "", creds, "Idempotency-Key", "edge-login-1")
		var a, b tokenPair
		if first.Status != http.StatusOK || second.Status != http.StatusOK {
			t.Fatalf("logins = %d %s / %d %s", first.Status, first.Body, second.Status, second.Body)
		}
		first.json(t, &a)
		second.json(t, &b)
		tokens = a
		if a.AccessToken == "" || a.AccessToken == b.AccessToken || a.RefreshToken == b.RefreshToken {
			t.Fatalf("two logins with one key gave the same tokens (a replay): %s", second.Body)
		}
		for _, r := range []response{first, second} {
			if r.Header.Get("Idempotent-Replayed") != "" || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("login answer: Idempotent-Replayed %q, Cache-Control %q; want none and no-store",
					r.Header.Get("Idempotent-Replayed"), r.Header.Get("Cache-Control"))
			}
		}
		var stored int
		if err := s.DB.Pool(t, "").QueryRow(t.Context(),
			`SELECT count(*) FROM gateway.idempotency_keys WHERE request_path LIKE '/api/v1/auth/%'`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != 0 {
			t.Fatalf("%d idempotency rows kept for auth routes, want none", stored)
		}
	})
	// Credential requests: 3; per-IP budget: 3.

	t.Run("authenticated reads are not held to the login limit", func(t *testing.T) {
		if tokens.AccessToken == "" {
			t.Fatal("the login scenario failed first")
		}
		for i := range 30 {
			r := do(t, http.MethodGet, s.API()+"/auth/me", tokens.AccessToken, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("/auth/me number %d = %d %s (RateLimit %q)", i+1, r.Status, r.Body, r.Header.Get("RateLimit"))
			}
			if strings.Contains(r.Header.Get("RateLimit-Policy"), `"auth"`) {
				t.Fatalf("/auth/me is under the auth limit: %s", r.Header.Get("RateLimit-Policy"))
			}
		}
		// The next scenario shows that the login limit still trips.
	})

	t.Run("spoofed X-Forwarded-For neither escapes the login limit nor reaches identity's records", func(t *testing.T) {
		// Every login claims another client address; nginx is the edge and
		// sets X-Forwarded-For from the peer, so all of them are loopback.
		agent := "edge-spoof-" + testkit.UniqueName(t, "ua")
		refused := 0
		for i := range edgeAuthLimitN + 5 {
			r := do(t, http.MethodPost, s.API()+"/auth/login", "",
				map[string]string{"email": "nobody-" + email, "password": "wrong-password-123"},
				"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1), "X-Real-IP", fmt.Sprintf("198.51.100.%d", i+1),
				"User-Agent", agent)
			if r.Status == http.StatusTooManyRequests {
				refused++
				assertSecurityHeaders(t, "429", r)
			}
		}
		if refused == 0 {
			t.Errorf("%d logins claiming %d different addresses: no 429", edgeAuthLimitN+5, edgeAuthLimitN+5)
		}
		rows, err := s.DB.Pool(t, "").Query(t.Context(),
			`SELECT DISTINCT coalesce(host(ip), 'none') FROM identity.login_attempts WHERE user_agent = $1`, agent)
		if err != nil {
			t.Fatal(err)
		}
		var ips []string
		for rows.Next() {
			var ip string
			if err := rows.Scan(&ip); err != nil {
				t.Fatal(err)
			}
			ips = append(ips, ip)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(ips) != 1 || ips[0] != "127.0.0.1" {
			t.Fatalf("identity recorded the login attempts from %v, want only the real peer 127.0.0.1", ips)
		}
	})
	// The auth limit is used up; the per-IP budget holds edgeAuthLimitN
	// requests (a refused login spends nothing).

	t.Run("bad tokens spend the per-IP budget and are then refused before verification", func(t *testing.T) {
		var last response
		for i := 0; i <= edgeIPLimitN && last.Status != http.StatusTooManyRequests; i++ {
			last = do(t, http.MethodGet, s.API()+"/users", "not.a.jwt", nil)
			if last.Status == http.StatusUnauthorized &&
				(!strings.HasPrefix(last.Header.Get("RateLimit"), `"ip";r=`) || last.Header.Get("RateLimit-Policy") == "") {
				t.Fatalf("401 number %d carries no per-IP RateLimit headers: %v", i+1, last.Header)
			}
			if last.Status != http.StatusUnauthorized && last.Status != http.StatusTooManyRequests {
				t.Fatalf("bad token number %d = %d %s", i+1, last.Status, last.Body)
			}
		}
		if last.Status != http.StatusTooManyRequests {
			t.Fatalf("%d requests with a bad token: no 429", edgeIPLimitN+1)
		}
		for _, h := range []string{"Retry-After", "RateLimit-Policy", "RateLimit"} {
			if last.Header.Get(h) == "" {
				t.Errorf("429 lacks %s", h)
			}
		}
		assertSecurityHeaders(t, "429", last)
		// The address is now refused whatever its token: the limit comes
		// before authentication.
		if r := do(t, http.MethodGet, s.API()+"/auth/me", tokens.AccessToken, nil); r.Status != http.StatusTooManyRequests {
			t.Errorf("a valid token from the throttled address = %d, want 429", r.Status)
		}
	})
}
