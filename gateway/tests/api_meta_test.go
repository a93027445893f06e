package tests

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"reos.dev/gateway/internal/server"
)

// TestAPIMetaHealthAndReadiness: /api/v1/healthz and /api/v1/readyz answer
// what /healthz and /readyz answer, are the gateway's own (never proxied),
// need no token and spend the caller's per-IP budget like any anonymous
// API request.
func TestAPIMetaHealthAndReadiness(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: map[string]string{"RATE_LIMIT_IP": "5/60s", "RATE_LIMIT_LEASE": "0"}})
	h.ups["crm"].set(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })

	type readiness struct {
		Status    string
		Checks    map[string]struct{ Status string }
		Upstreams map[string]struct{ Status string }
	}
	for _, tc := range []struct{ api, root string }{
		{"/api/v1/healthz", "/healthz"},
		{"/api/v1/readyz", "/readyz"},
	} {
		api, root := h.do("GET", tc.api, ""), h.do("GET", tc.root, "")
		expectStatus(t, api, root.StatusCode)
		if ct := api.Header.Get("Content-Type"); ct != root.Header.Get("Content-Type") || !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q, %s has %q", tc.api, ct, tc.root, root.Header.Get("Content-Type"))
		}
		var a, b readiness
		if err := json.Unmarshal(api.body, &a); err != nil {
			t.Fatalf("%s: %v: %s", tc.api, err, api.body)
		}
		_ = json.Unmarshal(root.body, &b)
		if a.Status != "ok" || a.Status != b.Status || len(a.Checks) != len(b.Checks) || len(a.Upstreams) != len(b.Upstreams) {
			t.Errorf("%s = %s; %s = %s", tc.api, api.body, tc.root, root.body)
		}
		if !strings.HasPrefix(api.Header.Get("RateLimit"), `"ip";r=`) {
			t.Errorf("%s is not counted per IP: RateLimit %q", tc.api, api.Header.Get("RateLimit"))
		}
		if root.Header.Get("RateLimit") != "" {
			t.Errorf("%s is rate limited: probes must not be", tc.root)
		}
	}
	if rep := (readiness{}); json.Unmarshal(h.do("GET", "/api/v1/readyz", "").body, &rep) == nil &&
		(rep.Upstreams["crm"].Status != "unavailable" || rep.Upstreams["identity"].Status != "ok") {
		t.Errorf("/api/v1/readyz upstreams = %+v", rep.Upstreams)
	}
	for name, u := range h.ups {
		if n := u.hits.Load(); n != 0 {
			t.Errorf("%s was sent %d requests: the meta routes are not proxied", name, n)
		}
	}
	expectProblem(t, h.do("POST", "/api/v1/healthz", "{}"), http.StatusMethodNotAllowed, "")
	// 5 per IP: three GETs above (a wrong method is refused before the
	// limit); the fourth and fifth pass, the sixth is refused while
	// /healthz still answers.
	expectStatus(t, h.do("GET", "/api/v1/healthz", ""), http.StatusOK)
	expectStatus(t, h.do("GET", "/api/v1/readyz", ""), http.StatusOK)
	limited := h.do("GET", "/api/v1/healthz", "")
	expectProblem(t, limited, http.StatusTooManyRequests, "rate_limited")
	if limited.Header.Get("Retry-After") == "" {
		t.Error("the 429 has no Retry-After")
	}
	expectStatus(t, h.do("GET", "/healthz", ""), http.StatusOK)
}

// TestAPIMetaMetricsAreForAdmins: /api/v1/metrics serves the gateway's
// Prometheus metrics to a caller holding server.PermMetrics (through "*" or
// "admin:*"); 401 without a usable token, 403 without the permission.
// /metrics on the gateway's own port stays open for Prometheus.
func TestAPIMetaMetricsAreForAdmins(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	with := func(perms ...string) string {
		c := claims("0190a0f0-0000-7000-8000-0000000000c1")
		c.Perms = perms
		return h.tokenWith(c)
	}
	tests := []struct {
		name      string
		opts      []reqOpt
		status    int
		reason    string
		challenge string
	}{
		{"no token", nil, http.StatusUnauthorized, "missing_token", "Bearer"},
		{"not a bearer token", []reqOpt{header("Authorization", "Basic YTpi")}, http.StatusUnauthorized, "missing_token", "Bearer"},
		{"a bad token", []reqOpt{bearer("not.a.jwt")}, http.StatusUnauthorized, "invalid_token", `Bearer error="invalid_token"`},
		{"no admin permission", []reqOpt{bearer(with("leads:read", "properties:write", "users:admin"))}, http.StatusForbidden, "missing_permission", ""},
		{"another admin action only", []reqOpt{bearer(with("admin:dlq"))}, http.StatusForbidden, "missing_permission", ""},
		{"admin:*", []reqOpt{bearer(with("admin:*"))}, http.StatusOK, "", ""},
		{"admin:metrics", []reqOpt{bearer(with(server.PermMetrics))}, http.StatusOK, "", ""},
		{"*", []reqOpt{bearer(with("*"))}, http.StatusOK, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("GET", "/api/v1/metrics", "", tc.opts...)
			if tc.status != http.StatusOK {
				expectProblem(t, r, tc.status, tc.reason)
				if got := r.Header.Get("WWW-Authenticate"); got != tc.challenge {
					t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
				}
				if strings.Contains(string(r.body), "gateway_requests_total") {
					t.Error("the refusal carries metrics")
				}
				return
			}
			expectStatus(t, r, http.StatusOK)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q", ct)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", r.Header.Get("Cache-Control"))
			}
			for _, want := range []string{"gateway_requests_total", "gateway_upstream_breaker_state", "go_goroutines"} {
				if !strings.Contains(string(r.body), want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
	expectProblem(t, h.do("POST", "/api/v1/metrics", "{}", bearer(with("*"))), http.StatusMethodNotAllowed, "")
	// Prometheus scrapes the port directly, without a token.
	if m := h.do("GET", "/metrics", ""); m.StatusCode != http.StatusOK || !strings.Contains(string(m.body), "gateway_requests_total") {
		t.Errorf("/metrics = %d", m.StatusCode)
	}
	for name, u := range h.ups {
		if n := u.hits.Load(); n != 0 {
			t.Errorf("%s was sent %d requests: /api/v1/metrics is not proxied", name, n)
		}
	}
}
