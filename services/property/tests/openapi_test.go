package tests

import (
	"net/http"
	"testing"

	"reos.dev/pkg/routes"
	"reos.dev/pkg/testkit"
)

// TestOpenAPIMatchesRoutes: every routed API operation is documented and
// every documented one is routed, and the gateway's loader accepts the doc.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call(http.MethodGet, "/openapi.json", "", nil)
	expect(t, r, http.StatusOK, "openapi.json")
	if n := testkit.CheckOpenAPI(t, r.Body, e.srv.Router, routes.OperationalPaths()...); n != len(e.srv.Routes) {
		t.Errorf("%d operations documented, want one per row of the route table (%d)", n, len(e.srv.Routes))
	}
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
	// A wrong method is a 405 that says which methods the path has.
	for path, allow := range map[string]string{
		"/api/v1/properties":                          "GET, POST",
		"/api/v1/properties/" + newOrg():              "DELETE, GET, PUT",
		"/api/v1/listings/" + newOrg() + "/snapshots": "GET",
		"/api/v1/files/property/a/b.png":              "GET, HEAD",
	} {
		r = e.call(http.MethodPatch, path, "", nil)
		expect(t, r, http.StatusMethodNotAllowed, "PATCH "+path)
		if got := r.Header.Get("Allow"); got != allow {
			t.Errorf("PATCH %s: Allow %q, want %q", path, got, allow)
		}
	}
}
