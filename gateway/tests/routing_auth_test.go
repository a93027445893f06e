package tests

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"reos.dev/pkg/auth"
)

func TestRoutingByPrefix(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000aa")
	tests := []struct {
		path     string
		upstream string // "" = expect 404
	}{
		{"/api/v1/users", "identity"},
		{"/api/v1/users/", "identity"},
		{"/api/v1/users/123", "identity"},
		{"/api/v1/auth/me", "identity"},
		{"/api/v1/admin/users", "identity"},
		{"/api/v1/admin/users/1/reset-password", "identity"},
		{"/api/v1/admin/dlq", "platform"},
		{"/api/v1/admin", "platform"},
		{"/api/v1/properties/1/history", "property"},
		{"/api/v1/search/properties", "property"},
		{"/api/v1/search/leads", "crm"},
		{"/api/v1/search/suggestions", "platform"},
		{"/api/v1/deal-stages", "crm"},
		{"/api/v1/events/stream", "platform"},
		{"/api/v1/usersx", ""},
		{"/api/v1/search", ""},
		{"/api/v1/search/other", ""},
		{"/api/v1", ""},
		{"/api/v2/users", ""},
		{"/users", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := h.do("GET", tc.path+"?q=1&x=%20y", "", bearer(tok))
			if tc.upstream == "" {
				expectProblem(t, r, http.StatusNotFound, "route_not_found")
				return
			}
			expectStatus(t, r, http.StatusOK)
			if !strings.Contains(string(r.body), `"service":"`+tc.upstream+`"`) {
				t.Fatalf("served by %s, want %s", r.body, tc.upstream)
			}
			got, _ := h.ups[tc.upstream].lastRequest()
			if got.URL.Path != tc.path || got.URL.RawQuery != "q=1&x=%20y" {
				t.Errorf("upstream saw %s?%s, want the path and query unchanged", got.URL.Path, got.URL.RawQuery)
			}
		})
	}
}

func TestRoutingForwardsHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.ups["crm"].set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID")) // as httpx.RequestID does
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000ab")
	r := h.do("POST", "/api/v1/leads", `{"a":1}`, bearer(tok),
		header("X-Request-ID", "req-123"), header("X-Forwarded-For", "203.0.113.7"),
		header("Connection", "keep-alive, X-Secret-Hop"), header("X-Secret-Hop", "1"))
	expectStatus(t, r, http.StatusOK)
	got, body := h.ups["crm"].lastRequest()
	if got.Header.Get("Authorization") != "Bearer "+tok {
		t.Errorf("Authorization not passed through unchanged: %q", got.Header.Get("Authorization"))
	}
	if got.Header.Get("X-Request-ID") != "req-123" || r.Header.Get("X-Request-ID") != "req-123" {
		t.Errorf("request id: upstream %q, response %q", got.Header.Get("X-Request-ID"), r.Header.Get("X-Request-ID"))
	}
	// The test client is on loopback (a trusted proxy), so its
	// X-Forwarded-For is kept and the peer appended.
	if xff := got.Header.Get("X-Forwarded-For"); xff != "203.0.113.7, 127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q", xff)
	}
	if got.Header.Get("X-Forwarded-Proto") != "http" || got.Header.Get("X-Forwarded-Host") == "" {
		t.Errorf("X-Forwarded-Proto/Host = %q/%q", got.Header.Get("X-Forwarded-Proto"), got.Header.Get("X-Forwarded-Host"))
	}
	if got.Header.Get("X-Secret-Hop") != "" {
		t.Error("a hop-by-hop header named in Connection reached the upstream")
	}
	if string(body) != `{"a":1}` {
		t.Errorf("body = %q", body)
	}
	if len(r.Header.Values("X-Request-Id")) != 1 {
		t.Errorf("X-Request-ID appears %d times in the response", len(r.Header.Values("X-Request-Id")))
	}
}

func TestUnconfiguredAndNonCanonical(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000ac")
	// portfolio and outreach have no upstream in this harness.
	r := h.do("GET", "/api/v1/portfolio/1", "", bearer(tok))
	expectProblem(t, r, http.StatusServiceUnavailable, "upstream_not_configured")
	r = h.do("GET", "/api/v1/campaigns", "", bearer(tok))
	expectProblem(t, r, http.StatusServiceUnavailable, "upstream_not_configured")

	for _, p := range []string{"/api/v1/auth/../admin/dlq", "/api/v1//users", "/api/v1/users/./x"} {
		// net/http sends dot segments as written; a browser would clean them.
		req, err := http.NewRequest("GET", h.gw.URL+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", p, resp.StatusCode)
		}
	}
}

func TestJWTVerification(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	user := "0190a0f0-0000-7000-8000-0000000000ad"

	expired := claims(user)
	expired.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
	expired.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
	wrongAud := claims(user)
	wrongAud.Audience = jwt.ClaimStrings{"someone-else"}
	wrongIss := claims(user)
	wrongIss.Issuer = "evil"
	refresh := claims(user)
	refresh.TokenUse = auth.TokenUseRefresh

	other, err := auth.NewSigner(otherKey(t), "test-kid") // same kid, other key
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.Sign(claims(user))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		authz     string
		challenge string
		reason    string
	}{
		{name: "missing", authz: "", challenge: "Bearer", reason: "missing_token"},
		{name: "not bearer", authz: "Basic dXNlcjpwYXNz", challenge: "Bearer", reason: "missing_token"},
		{name: "garbage", authz: "Bearer not.a.jwt", challenge: `Bearer error="invalid_token"`, reason: "invalid_token"},
		{name: "alg none", authz: "Bearer " + algNone(t, user), reason: "invalid_token"},
		{name: "HS256 with the public key", authz: "Bearer " + hsWithPublicKey(t, h, user), reason: "invalid_token"},
		{name: "wrong audience", authz: "Bearer " + h.tokenWith(wrongAud), reason: "invalid_token"},
		{name: "wrong issuer", authz: "Bearer " + h.tokenWith(wrongIss), reason: "invalid_token"},
		{name: "expired", authz: "Bearer " + h.tokenWith(expired), reason: "token_expired"},
		{name: "refresh as access", authz: "Bearer " + h.tokenWith(refresh), reason: "invalid_token"},
		{name: "signed by another key", authz: "Bearer " + forged, reason: "invalid_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []reqOpt
			if tc.authz != "" {
				opts = append(opts, header("Authorization", tc.authz))
			}
			before := h.ups["crm"].hits.Load()
			r := h.do("GET", "/api/v1/leads", "", opts...)
			expectProblem(t, r, http.StatusUnauthorized, tc.reason)
			if tc.challenge != "" && r.Header.Get("WWW-Authenticate") != tc.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", r.Header.Get("WWW-Authenticate"), tc.challenge)
			}
			if h.ups["crm"].hits.Load() != before {
				t.Error("a rejected request reached the upstream")
			}
		})
	}

	t.Run("valid token passes and is cached", func(t *testing.T) {
		tok := h.token(user)
		n := h.verifyCnt.n.Load()
		for range 3 {
			expectStatus(t, h.do("GET", "/api/v1/leads", "", bearer(tok)), http.StatusOK)
		}
		if got := h.verifyCnt.n.Load() - n; got != 1 {
			t.Errorf("token verified %d times for 3 requests, want 1 (cached)", got)
		}
	})
}

func TestPublicRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{upstreams: []string{"identity", "outreach"}})
	public := []struct{ method, path string }{
		{"POST", "/api/v1/auth/register"},
		{"POST", "/api/v1/auth/login"},
		{"POST", "/api/v1/auth/refresh"},
		{"POST", "/api/v1/auth/logout"},
		{"GET", "/api/v1/.well-known/jwks.json"},
		{"POST", "/api/v1/compliance/unsubscribe"},
		{"POST", "/api/v1/outreach/webhooks"},
	}
	for _, p := range public {
		body := ""
		if p.method == "POST" {
			body = `{}`
		}
		r := h.do(p.method, p.path, body)
		expectStatus(t, r, http.StatusOK)
	}
	for _, p := range []struct{ method, path string }{
		{"GET", "/api/v1/auth/login"},          // right path, wrong method
		{"POST", "/api/v1/auth/login/extra"},   // below a public path
		{"GET", "/api/v1/auth/me"},             // identity, but protected
		{"POST", "/api/v1/compliance/dnc-add"}, // same service, protected
	} {
		expectProblem(t, h.do(p.method, p.path, ""), http.StatusUnauthorized, "missing_token")
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/docs/"} {
		expectStatus(t, h.do("GET", p, ""), http.StatusOK)
	}
}

func otherKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func algNone(t *testing.T, user string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims(user))
	tok.Header["kid"] = "test-kid"
	s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hsWithPublicKey forges the classic algorithm-confusion token: HS256 keyed
// with the verifier's RSA public key, which a naive verifier would accept.
func hsWithPublicKey(t *testing.T, h *harness, user string) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(h.signer.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(user))
	tok.Header["kid"] = "test-kid"
	s, err := tok.SignedString(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestForwardedClientAddress: the services learn the client address the
// gateway resolved (the right-most hop that is not a trusted proxy), in
// X-Real-IP and as the first X-Forwarded-For entry; whatever the client
// wrote to the left of it, or in its own X-Real-IP or Forwarded, is dropped.
func TestForwardedClientAddress(t *testing.T) {
	t.Parallel()
	trusting := newHarness(t, options{})
	distrusting := newHarness(t, options{env: map[string]string{"TRUSTED_PROXIES": "10.255.255.255/32"}})
	tests := []struct {
		name     string
		h        *harness
		sent     map[string]string
		wantReal string
		wantXFF  string
	}{
		{
			name: "through a trusted proxy, spoofed entries to the left", h: trusting,
			sent:     map[string]string{"X-Forwarded-For": "6.6.6.6, 203.0.113.7", "X-Real-IP": "6.6.6.6", "Forwarded": "for=6.6.6.6"},
			wantReal: "203.0.113.7", wantXFF: "203.0.113.7, 127.0.0.1",
		},
		{
			name: "trusted peer, no header", h: trusting,
			sent:     map[string]string{},
			wantReal: "127.0.0.1", wantXFF: "127.0.0.1",
		},
		{
			name: "untrusted peer writing its own headers", h: distrusting,
			sent:     map[string]string{"X-Forwarded-For": "6.6.6.6", "X-Real-IP": "6.6.6.6", "Forwarded": "for=6.6.6.6"},
			wantReal: "127.0.0.1", wantXFF: "127.0.0.1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := []reqOpt{bearer(tc.h.token("0190a0f0-0000-7000-8000-0000000000af"))}
			for k, v := range tc.sent {
				opts = append(opts, header(k, v))
			}
			expectStatus(t, tc.h.do("GET", "/api/v1/leads", "", opts...), http.StatusOK)
			got, _ := tc.h.ups["crm"].lastRequest()
			if v := got.Header.Values("X-Real-Ip"); len(v) != 1 || v[0] != tc.wantReal {
				t.Errorf("X-Real-IP = %q, want %q", v, tc.wantReal)
			}
			if v := got.Header.Values("X-Forwarded-For"); len(v) != 1 || v[0] != tc.wantXFF {
				t.Errorf("X-Forwarded-For = %q, want %q", v, tc.wantXFF)
			}
			if v := got.Header.Get("Forwarded"); v != "" {
				t.Errorf("Forwarded = %q reached the service", v)
			}
		})
	}
}
