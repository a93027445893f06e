package tests

import (
	"net/http"
	"testing"

	"reos.dev/pkg/routes"
	"reos.dev/pkg/testkit"
)

// TestOpenAPIMatchesRoutes: every routed API operation is documented, every
// documented one is routed (and TestRoutes holds the router to the route
// table), and the gateway's loader accepts the document. The JWKS at the
// root, for the services' verifiers, is an alias of the documented /api/v1
// one.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call(http.MethodGet, "/openapi.json", "", nil)
	expect(t, r, http.StatusOK, "openapi.json")
	testkit.CheckOpenAPI(t, r.Body, e.srv.Router, append(routes.OperationalPaths(), "/.well-known/jwks.json")...)
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		expect(t, e.call(http.MethodGet, path, "", nil), http.StatusOK, path)
	}
	r := e.call(http.MethodGet, "/api/v1/nowhere", "", nil)
	expect(t, r, http.StatusNotFound, "unknown route")
	if r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown route Content-Type = %q", r.Header.Get("Content-Type"))
	}
	expect(t, e.call(http.MethodGet, "/api/v1/auth/login", "", nil), http.StatusMethodNotAllowed, "wrong method")
	if r := e.call(http.MethodGet, "/healthz", "", nil, "X-Request-ID", "abc-123"); r.Header.Get("X-Request-ID") != "abc-123" {
		t.Errorf("request id not echoed: %v", r.Header)
	}
}
