package tests

import (
	"net/http"
	"testing"

	"reos.dev/pkg/routes"
	"reos.dev/pkg/testkit"
)

// TestOpenAPIMatchesRoutes: every routed API operation is documented, every
// documented one is routed (and TestRoutes holds the router to the route
// table), and the gateway's loader accepts the document.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call(http.MethodGet, "/openapi.json", user{}, nil)
	expect(t, r, http.StatusOK, "openapi.json")
	testkit.CheckOpenAPI(t, r.Body, e.srv.Router, routes.OperationalPaths()...)
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
