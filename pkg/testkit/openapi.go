package testkit

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"
)

// Route is one method and path template of a gorilla/mux router.
type Route struct {
	Method, Path string
}

// muxPattern matches a gorilla/mux variable with a pattern, {key:.+}.
var muxPattern = regexp.MustCompile(`\{([^{}:]+):[^{}]*\}`)

// Routes lists every endpoint of router (a *mux.Router), so tests can walk
// all of a service's routes (tenancy, permissions, documentation) without a
// hand-kept list that drifts. A variable's pattern is dropped ({key:.+} is
// listed as {key}, as OpenAPI writes it).
func Routes(t testing.TB, router http.Handler) []Route {
	t.Helper()
	r, ok := router.(*mux.Router)
	if !ok {
		t.Fatalf("testkit: Routes needs a *mux.Router, got %T", router)
	}
	var out []Route
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		tpl = muxPattern.ReplaceAllString(tpl, "{$1}")
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a prefix or subrouter, not an endpoint
		}
		for _, m := range methods {
			out = append(out, Route{Method: m, Path: tpl})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// CheckOpenAPI asserts that doc (a service's /openapi.json) is OpenAPI 3.1
// that kin-openapi loads and validates — the gateway merges documents with
// it, and one it cannot load silently drops the service from the merged
// document — that every operation has an operationId, tags and a description,
// and that the documented operations and router's routes are the same set,
// leaving out the paths in skip (operational endpoints). It returns the
// number of documented operations.
func CheckOpenAPI(t testing.TB, doc []byte, router http.Handler, skip ...string) int {
	t.Helper()
	var parsed struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		t.Fatalf("openapi: not JSON: %v", err)
	}
	if parsed.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", parsed.OpenAPI)
	}
	loaded, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		t.Fatalf("the document does not validate: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range parsed.Paths {
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
	sameRoutes(t, router, documented, skip, "route %s is not documented", "the document has %s, which is not routed")
	return len(documented)
}

// sameRoutes fails the test for each endpoint router serves (leaving out
// the paths in skip) that want lacks (notListed, with the "METHOD path"
// key) and for each key of want the router does not serve (notServed).
func sameRoutes(t testing.TB, router http.Handler, want map[string]bool, skip []string, notListed, notServed string) {
	t.Helper()
	routed := map[string]bool{}
	for _, rt := range Routes(t, router) {
		if slices.Contains(skip, rt.Path) {
			continue
		}
		key := rt.Method + " " + rt.Path
		routed[key] = true
		if !want[key] {
			t.Errorf(notListed, key)
		}
	}
	for key := range want {
		if !routed[key] {
			t.Errorf(notServed, key)
		}
	}
}
