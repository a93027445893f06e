package tests

import (
	"encoding/json"
	"fmt"
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

// TestReadinessDetailIsForDirectCallers: /readyz and /api/v1/readyz answer
// a request forwarded by a proxy (nginx, which is public) with each check's
// and upstream's name and status only; the errors (which name internal
// addresses), latencies and breaker states go to the log, and to a caller
// on the gateway's own port that nothing forwarded.
func TestReadinessDetailIsForDirectCallers(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	dead := closedPortURL(t)
	deadAddr := strings.TrimPrefix(dead, "http://")
	h := newHarness(t, options{logs: logs, extraUpstreams: "portfolio=" + dead})

	type entries = map[string]map[string]any
	type report struct {
		Status            string
		Checks, Upstreams entries
	}
	decode := func(t *testing.T, r response) report {
		t.Helper()
		expectStatus(t, r, http.StatusOK)
		var rep report
		if err := json.Unmarshal(r.body, &rep); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		return rep
	}
	forwarded := []struct {
		name string
		opt  reqOpt
	}{
		{"X-Forwarded-For", header("X-Forwarded-For", "203.0.113.7")},
		{"X-Real-IP", header("X-Real-IP", "203.0.113.7")},
		{"Forwarded", header("Forwarded", "for=203.0.113.7")},
	}
	for _, path := range []string{"/readyz", "/api/v1/readyz"} {
		direct := decode(t, h.do("GET", path, ""))
		t.Run(path+" direct", func(t *testing.T) {
			p := direct.Upstreams["portfolio"]
			if p["status"] != "unavailable" || !strings.Contains(fmt.Sprint(p["error"]), deadAddr) || p["breaker"] == nil {
				t.Errorf("portfolio = %v, want the dial error to %s and the breaker state", p, deadAddr)
			}
			if _, ok := direct.Checks["postgres"]["latency_ms"]; !ok {
				t.Errorf("postgres = %v, want its latency", direct.Checks["postgres"])
			}
		})
		for _, fw := range forwarded {
			t.Run(path+" forwarded with "+fw.name, func(t *testing.T) {
				r := h.do("GET", path, "", fw.opt)
				public := decode(t, r)
				if public.Status != direct.Status {
					t.Errorf("status = %q, direct %q", public.Status, direct.Status)
				}
				for kind, pair := range map[string][2]entries{"checks": {public.Checks, direct.Checks}, "upstreams": {public.Upstreams, direct.Upstreams}} {
					got, want := pair[0], pair[1]
					if len(got) != len(want) {
						t.Errorf("%s: %d entries, direct %d", kind, len(got), len(want))
					}
					for name, fields := range want {
						if g := got[name]; len(g) != 1 || g["status"] != fields["status"] {
							t.Errorf("%s.%s = %v, want only its status %v", kind, name, g, fields["status"])
						}
					}
				}
				if strings.Contains(string(r.body), "127.0.0.1") || strings.Contains(string(r.body), "dial") {
					t.Errorf("the public answer shows internal detail: %s", r.body)
				}
			})
		}
	}
	// The operator who reads the log sees why.
	if !strings.Contains(logs.String(), deadAddr) || !strings.Contains(logs.String(), `"upstream":"portfolio"`) {
		t.Errorf("the log does not say why portfolio is unavailable:\n%s", logs.String())
	}
}
