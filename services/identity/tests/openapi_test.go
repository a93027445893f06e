package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	transport "reos.dev/services/identity/internal/transport/http"
)

// operational routes are per-service plumbing, not part of the public API
// the gateway merges (every service has them; the gateway documents its own).
var operational = []string{"/healthz", "/readyz", "/metrics", "/openapi.json", "/.well-known/jwks.json"}

// TestOpenAPIMatchesRoutes: every routed API operation is documented and
// every documented operation is routed, and /openapi.json serves the doc.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.call(http.MethodGet, "/openapi.json", "", nil)
	expect(t, r, http.StatusOK, "openapi.json")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	// The gateway loads every service's document with kin-openapi to merge it;
	// a document it cannot load (YAML 1.1 turning `n` into false, say) would
	// silently drop this service from /api/v1/openapi.json.
	loaded, err := openapi3.NewLoader().LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("kin-openapi cannot load /openapi.json: %v", err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		t.Fatalf("/openapi.json does not validate: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
			var op struct {
				OperationID string   `json:"operationId"`
				Tags        []string `json:"tags"`
				Description string   `json:"description"`
			}
			if err := json.Unmarshal(raw, &op); err != nil || op.OperationID == "" || len(op.Tags) == 0 || op.Description == "" {
				t.Errorf("%s %s lacks operationId, tags or description", method, path)
			}
		}
	}
	routes, err := transport.Routes(e.srv.Router)
	if err != nil {
		t.Fatal(err)
	}
	routed := map[string]bool{}
	for _, rt := range routes {
		if slices.Contains(operational, rt.Path) {
			continue
		}
		key := rt.Method + " " + rt.Path
		routed[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in openapi.yaml", key)
		}
	}
	for key := range documented {
		if !routed[key] {
			t.Errorf("openapi.yaml documents %s, which is not routed", key)
		}
	}
	if len(routed) < 28 {
		t.Errorf("only %d routes found; Routes is not walking the router", len(routed))
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
	expect(t, e.call(http.MethodGet, "/api/v1/auth/login", "", nil), http.StatusMethodNotAllowed, "wrong method")
	if r := e.call(http.MethodGet, "/healthz", "", nil, "X-Request-ID", "abc-123"); r.Header.Get("X-Request-ID") != "abc-123" {
		t.Errorf("request id not echoed: %v", r.Header)
	}
}
