package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// metaScenarios drive the gateway's own routes under /api/v1 (issue 16,
// item 7) through nginx: health and readiness for anyone, metrics for
// administrators only. Every answer is also held to the contract.
func metaScenarios(t *testing.T, s *Stack, a actors) {
	for _, path := range []string{"/healthz", "/readyz"} {
		api, root := do(t, http.MethodGet, s.API()+path, "", nil), do(t, http.MethodGet, s.NginxURL+path, "", nil)
		expectStatus(t, api, http.StatusOK, "GET /api/v1"+path)
		var got, want struct {
			Status    string         `json:"status"`
			Upstreams map[string]any `json:"upstreams"`
		}
		api.json(t, &got)
		root.json(t, &want)
		if got.Status != "ok" || got.Status != want.Status || len(got.Upstreams) != len(want.Upstreams) {
			t.Errorf("GET /api/v1%s = %s, GET %s = %s", path, api.Body, path, root.Body)
		}
		assertSecurityHeaders(t, "GET /api/v1"+path, api)
	}

	// Readiness through nginx is public: each check's and upstream's name
	// and status, nothing of the inside (errors name internal addresses);
	// the gateway's own port, reached directly, has the detail.
	type readiness struct {
		Status            string
		Checks, Upstreams map[string]map[string]any
	}
	var direct readiness
	do(t, http.MethodGet, s.GatewayURL+"/readyz", "", nil).json(t, &direct)
	if _, ok := direct.Checks["postgres"]["latency_ms"]; !ok {
		t.Errorf("the gateway's own port has no readiness detail: %+v", direct)
	}
	for _, url := range []string{s.NginxURL + "/readyz", s.API() + "/readyz"} {
		var public readiness
		do(t, http.MethodGet, url, "", nil).json(t, &public)
		for kind, pair := range map[string][2]map[string]map[string]any{
			"checks": {public.Checks, direct.Checks}, "upstreams": {public.Upstreams, direct.Upstreams},
		} {
			got, want := pair[0], pair[1]
			if len(got) != len(want) {
				t.Errorf("GET %s: %d %s, the gateway's port %d", url, len(got), kind, len(want))
			}
			for name, fields := range want {
				if g := got[name]; len(g) != 1 || g["status"] != fields["status"] {
					t.Errorf("GET %s: %s.%s = %v, want only its status %v", url, kind, name, g, fields["status"])
				}
			}
		}
	}

	anonymous := do(t, http.MethodGet, s.API()+"/metrics", "", nil)
	expectStatus(t, anonymous, http.StatusUnauthorized, "metrics without a token")
	if anonymous.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("WWW-Authenticate = %q", anonymous.Header.Get("WWW-Authenticate"))
	}
	expectStatus(t, do(t, http.MethodGet, s.API()+"/metrics", a.viewer, nil), http.StatusForbidden, "metrics for a viewer")
	admin := do(t, http.MethodGet, s.API()+"/metrics", a.admin, nil)
	expectStatus(t, admin, http.StatusOK, "metrics for an admin")
	if !strings.Contains(string(admin.Body), `gateway_requests_total{class="2xx",upstream="identity"}`) {
		t.Errorf("the admin's metrics lack the gateway's request counts:\n%.500s", admin.Body)
	}
	// nginx exposes no /metrics: Prometheus scrapes the gateway's port.
	if r := do(t, http.MethodGet, s.NginxURL+"/metrics", "", nil); strings.Contains(string(r.Body), "gateway_requests_total") {
		t.Error("nginx serves the gateway's metrics to anyone")
	}
	var problem struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(do(t, http.MethodGet, s.API()+"/metrics", a.viewer, nil).Body, &problem)
	if problem.Type != "https://reos.dev/problems/missing_permission" {
		t.Errorf("a viewer's refusal is %q, want missing_permission", problem.Type)
	}
}
