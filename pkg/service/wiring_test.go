package service_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"reos.dev/pkg/health"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/service"
	"reos.dev/pkg/telemetry"
)

func TestRouterAndHandlerShareTheStandardBehaviour(t *testing.T) {
	t.Parallel()
	r := service.NewRouter(health.New(logging.Discard()), telemetry.NewMetrics("demo"), []byte(`{"openapi":"3.1.0"}`))
	r.HandleFunc("/api/v1/things", func(w http.ResponseWriter, _ *http.Request) {}).Methods(http.MethodGet)
	h := service.Handler("demo", logging.Discard(), r)

	tests := []struct {
		method, path string
		status       int
		contentType  string
	}{
		{http.MethodGet, "/api/v1/things", http.StatusOK, ""},
		{http.MethodGet, "/api/v1/nothing", http.StatusNotFound, "application/problem+json"},
		{http.MethodPost, "/api/v1/things", http.StatusMethodNotAllowed, "application/problem+json"},
		{http.MethodGet, "/healthz", http.StatusOK, ""},
		{http.MethodGet, "/openapi.json", http.StatusOK, "application/json"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status || (tt.contentType != "" && rec.Header().Get("Content-Type") != tt.contentType) {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, rec.Code, rec.Header().Get("Content-Type"), tt.status, tt.contentType)
		}
		if rec.Header().Get("X-Request-ID") == "" {
			t.Errorf("%s %s: no request id", tt.method, tt.path)
		}
	}
}

func TestSchemaPutsTheServiceFirstThenEvents(t *testing.T) {
	t.Parallel()
	s := service.Schema("demo", fstest.MapFS{})
	if s.Name != "demo" || len(s.Sources) != 2 || s.Sources[0].Table != service.MigrationsTable ||
		s.Sources[1].Table != service.EventsMigrationsTable || s.Sources[1].Name != "events" {
		t.Fatalf("schema = %+v", s)
	}
}

func TestOpenAPIJSONMergesFragments(t *testing.T) {
	doc := []byte("openapi: 3.1.0\ntags: [{name: a}]\npaths:\n  /x: {get: {operationId: x}}\ncomponents:\n  schemas:\n    Problem: {type: object}\n")
	frag := []byte("tags: [{name: a}, {name: jobs}]\npaths:\n  /jobs: {get: {operationId: jobs}}\ncomponents:\n  schemas:\n    Problem: {type: object}\n    Job: {type: object}\n")
	out, err := service.OpenAPIJSON(doc, frag)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tags       []struct{ Name string }
		Paths      map[string]any
		Components struct{ Schemas map[string]any }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Tags) != 2 || got.Paths["/x"] == nil || got.Paths["/jobs"] == nil || len(got.Components.Schemas) != 2 {
		t.Fatalf("merged = %s", out)
	}
	clash := []byte("components:\n  schemas:\n    Problem: {type: string}\n")
	if _, err := service.OpenAPIJSON(doc, clash); err == nil || !strings.Contains(err.Error(), `"Problem"`) {
		t.Fatalf("a component defined differently: err = %v", err)
	}
	if _, err := service.OpenAPIJSON(doc, []byte("paths:\n  /x: {post: {operationId: y}}\n")); err == nil {
		t.Fatal("a path defined differently was merged")
	}
}
