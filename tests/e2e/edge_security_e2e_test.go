package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
// every e2e request comes from (loopback) and the last one stops the
// gateway. They run in order; each one's limit use is accounted for by the
// next.
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
		for i := range authLimitN + 1 { // more than the login limit lets through
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

	t.Run("nginx's own errors are problem details with the gateway's headers", func(t *testing.T) {
		gatewayMade := do(t, http.MethodGet, s.API()+"/no-such-route", "", nil)
		if gatewayMade.Status != http.StatusNotFound {
			t.Fatalf("unknown route = %d", gatewayMade.Status)
		}
		// An operation this stack (identity only) documents.
		tooLarge := rawRequest(t, s.NginxURL, "POST /api/v1/teams HTTP/1.1\r\nHost: localhost\r\n"+
			"Content-Type: application/json\r\nContent-Length: "+strconv.Itoa(64<<20+1)+"\r\n\r\n")
		staticPost := do(t, http.MethodPost, s.NginxURL+"/", "", map[string]string{})
		for _, c := range []struct {
			name   string
			r      response
			status int
			reason string
		}{
			{"a body over nginx's limit", tooLarge, http.StatusRequestEntityTooLarge, "body_too_large"},
			{"POST to the static front end", staticPost, http.StatusMethodNotAllowed, "method_not_allowed"},
		} {
			assertEdgeProblem(t, c.name, c.r, c.status, c.reason, gatewayMade)
		}
		if got := staticPost.Header.Get("Allow"); got != "GET, HEAD" {
			t.Errorf("nginx's 405: Allow = %q", got)
		}
		// The gateway's own endpoints answer a wrong method with Allow too.
		r := do(t, http.MethodPost, s.NginxURL+"/healthz", "", map[string]string{})
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST /healthz = %d, Allow %q", r.Status, r.Header.Get("Allow"))
		}
	})

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

	t.Run("gateway down: nginx answers 502 problem details", func(t *testing.T) {
		gatewayMade := do(t, http.MethodGet, s.API()+"/no-such-route", "", nil)
		s.Gateway.stop()
		for _, path := range []string{"/api/v1/users", "/healthz"} {
			r := do(t, http.MethodGet, s.NginxURL+path, "", nil)
			assertEdgeProblem(t, "GET "+path+" with the gateway stopped", r, http.StatusBadGateway, "gateway_unavailable", gatewayMade)
		}
	})
}

// assertEdgeProblem checks an answer nginx made itself: status, a problem
// document of the reason, and exactly the security headers the gateway
// sends (taken from gatewayMade, an answer of the gateway).
func assertEdgeProblem(t *testing.T, what string, r response, status int, reason string, gatewayMade response) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d (%s)", what, r.Status, status, r.Body)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json (%s)", what, ct, r.Body)
	}
	var p struct {
		Type      string `json:"type"`
		Status    int    `json:"status"`
		RequestID string `json:"request_id"`
	}
	r.json(t, &p)
	if p.Type != "https://reos.dev/problems/"+reason || p.Status != status || p.RequestID == "" ||
		p.RequestID != r.Header.Get("X-Request-ID") {
		t.Errorf("%s: problem %s, X-Request-ID %q", what, r.Body, r.Header.Get("X-Request-ID"))
	}
	for _, h := range []string{
		"Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options",
		"Referrer-Policy", "Permissions-Policy", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy",
	} {
		if got, want := r.Header.Values(h), gatewayMade.Header.Values(h); len(want) != 1 || !slices.Equal(got, want) {
			t.Errorf("%s: %s = %q, the gateway sends %q", what, h, got, want)
		}
	}
}

// rawRequest writes head (a request line and headers, no body) to the
// server at base and reads its answer: nginx refuses an oversized body
// from its Content-Length alone, so nothing needs to be sent.
func rawRequest(t *testing.T, base, head string) response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(base, "http://")
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Not through the client: checked against the contract here.
	if err := checkContract(req, resp); err != nil {
		t.Error(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}
