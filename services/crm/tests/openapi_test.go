package tests

import (
	"net/http"
	"testing"

	"reos.dev/pkg/service"
	"reos.dev/pkg/testkit"
)

// TestOpenAPIMatchesRoutes: every routed API operation is documented, every
// documented one is routed, and the gateway's loader accepts the document.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call(http.MethodGet, "/openapi.json", user{}, nil)
	expect(t, r, http.StatusOK, "openapi.json")
	if n := testkit.CheckOpenAPI(t, r.Body, e.srv.Router, service.OperationalPaths()...); n != 43 {
		t.Errorf("%d operations documented, want 43 (38 of crm's own — 7 of them lead imports, deal documents and signed downloads — and the 5 of the jobs API)", n)
	}
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		expect(t, e.call(http.MethodGet, path, user{}, nil), http.StatusOK, path)
	}
	r := e.call(http.MethodGet, "/api/v1/nowhere", user{}, nil)
	expect(t, r, http.StatusNotFound, "unknown route")
	if r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown route Content-Type = %q", r.Header.Get("Content-Type"))
	}
	expect(t, e.call(http.MethodPatch, "/api/v1/leads", user{}, nil), http.StatusMethodNotAllowed, "wrong method")
}
