package tests

import (
	"encoding/json"
	"maps"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"reos.dev/gateway/internal/routing"
)

const identityDoc = `
openapi: 3.1.0
info: {title: identity, version: 1.0.0}
tags: [{name: auth}, {name: shared}]
paths:
  /api/v1/users/{id}:
    get:
      operationId: getUser
      tags: [auth]
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/User"}
        "404":
          description: missing
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Error"}
components:
  schemas:
    User:
      type: object
      properties:
        id: {type: string}
        page: {$ref: "#/components/schemas/Page"}
    Error:
      type: object
      properties:
        code: {type: string}
    Page:
      type: object
      properties:
        next_cursor: {type: [string, "null"]}
`

// crmDoc is JSON, uses relative paths under a server base path, and defines
// an Error that differs from identity's.
const crmDoc = `{
  "openapi": "3.1.0",
  "info": {"title": "crm", "version": "1.0.0"},
  "servers": [{"url": "/api/v1"}],
  "tags": [{"name": "leads"}, {"name": "shared"}],
  "paths": {
    "/leads": {
      "get": {
        "operationId": "listLeads",
        "tags": ["leads"],
        "responses": {
          "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}},
          "400": {"description": "bad", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Error": {"type": "object", "properties": {"message": {"type": "string"}, "fields": {"type": "array", "items": {"type": "string"}}}},
      "Page": {"type": "object", "properties": {"next_cursor": {"type": ["string", "null"]}}}
    }
  }
}`

func TestOpenAPIMerge(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	serveDoc := func(u *upstream, doc string) {
		u.set(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/openapi.json" {
				_, _ = w.Write([]byte(doc))
				return
			}
			w.WriteHeader(http.StatusOK)
		})
	}
	serveDoc(h.ups["identity"], identityDoc)
	serveDoc(h.ups["crm"], crmDoc)
	h.ups["property"].set(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	serveDoc(h.ups["platform"], `{"this is": "not openapi"`)

	r := h.do("GET", "/api/v1/openapi.json", "")
	expectStatus(t, r, http.StatusOK)
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("ETag") == "" {
		t.Errorf("headers: %v", r.Header)
	}

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatalf("merged document does not load: %v\n%s", err, r.body)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Errorf("merged document does not validate: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	for _, p := range []string{"/api/v1/users/{id}", "/api/v1/leads", "/healthz", "/readyz", "/api/v1/openapi.json"} {
		if doc.Paths.Value(p) == nil {
			t.Errorf("path %s missing", p)
		}
	}
	schemas := doc.Components.Schemas
	for _, name := range []string{"identity.Error", "crm.Error", "Page", "User", "Problem"} {
		if schemas[name] == nil {
			t.Errorf("schema %s missing (have %v)", name, keys(schemas))
		}
	}
	if schemas["Error"] != nil {
		t.Error("the colliding name Error was kept as is")
	}
	if ref := doc.Paths.Value("/api/v1/leads").Get.Responses.Value("400").Value.Content["application/problem+json"].Schema.Ref; ref != "#/components/schemas/crm.Error" {
		t.Errorf("crm's ref = %q, want rewritten to crm.Error", ref)
	}
	if ref := doc.Paths.Value("/api/v1/users/{id}").Get.Responses.Value("404").Value.Content["application/problem+json"].Schema.Ref; ref != "#/components/schemas/identity.Error" {
		t.Errorf("identity's ref = %q, want rewritten to identity.Error", ref)
	}
	if doc.Components.SecuritySchemes["bearerAuth"] == nil {
		t.Error("bearerAuth security scheme missing")
	}
	tags := map[string]int{}
	for _, tg := range doc.Tags {
		tags[tg.Name]++
	}
	if tags["auth"] != 1 || tags["leads"] != 1 || tags["shared"] != 1 || tags["gateway"] != 1 {
		t.Errorf("tags = %v", tags)
	}

	var raw struct {
		Missing []struct{ Service, Reason string }   `json:"x-reos-missing-services"`
		Renamed []struct{ Service, From, To string } `json:"x-reos-renamed-components"`
	}
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	missing := map[string]string{}
	for _, m := range raw.Missing {
		missing[m.Service] = m.Reason
	}
	for _, s := range []string{"property", "platform", "outreach", "portfolio"} {
		if missing[s] == "" {
			t.Errorf("x-reos-missing-services lacks %s: %v", s, raw.Missing)
		}
	}
	if missing["identity"] != "" || missing["crm"] != "" {
		t.Errorf("a merged service is listed as missing: %v", raw.Missing)
	}
	if !strings.Contains(missing["property"], "500") || strings.Contains(missing["property"], "127.0.0.1") {
		t.Errorf("property reason = %q", missing["property"])
	}
	// Both services define Error: each one's is renamed, and nothing else.
	renamed := map[string]string{}
	for _, rn := range raw.Renamed {
		renamed[rn.Service+"."+rn.From] = rn.To
	}
	if want := map[string]string{"identity.Error": "identity.Error", "crm.Error": "crm.Error"}; !maps.Equal(renamed, want) {
		t.Errorf("renames = %+v, want each service's Error renamed %v", raw.Renamed, want)
	}

	// Cached: a change upstream is not seen within the cache lifetime, and
	// a conditional request is answered 304.
	h.ups["identity"].set(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	again := h.do("GET", "/api/v1/openapi.json", "", header("If-None-Match", r.Header.Get("ETag")))
	expectStatus(t, again, http.StatusNotModified)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDocsServedOffline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	r := h.do("GET", "/api/v1/docs", "")
	expectStatus(t, r, http.StatusMovedPermanently)
	if r.Header.Get("Location") != "/api/v1/docs/" {
		t.Errorf("Location = %q", r.Header.Get("Location"))
	}
	page := h.do("GET", "/api/v1/docs/", "")
	expectStatus(t, page, http.StatusOK)
	html := string(page.body)
	if !strings.Contains(html, "swagger-ui-bundle.js") || !strings.Contains(html, "init.js") {
		t.Errorf("index.html does not load the UI:\n%s", html)
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, "http://") || strings.Contains(html, "https://") {
		t.Error("index.html has an inline script or an external URL")
	}
	init := h.do("GET", "/api/v1/docs/init.js", "")
	expectStatus(t, init, http.StatusOK)
	if !strings.Contains(string(init.body), "/api/v1/openapi.json") {
		t.Error("init.js does not point at the combined document")
	}
	for _, f := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js", "LICENSE"} {
		a := h.do("GET", "/api/v1/docs/"+f, "")
		expectStatus(t, a, http.StatusOK)
		if len(a.body) < 1000 {
			t.Errorf("%s is only %d bytes", f, len(a.body))
		}
	}
	expectProblem(t, h.do("GET", "/api/v1/docs/nope.js", ""), http.StatusNotFound, "route_not_found")
	// The gateway's own endpoints are its only 405s (a wrong method on a
	// proxied route is the service's answer); each says what is allowed.
	for _, p := range []string{"/api/v1/docs/", "/api/v1/openapi.json", "/healthz", "/readyz", "/metrics"} {
		r := h.do("POST", p, "{}")
		expectProblem(t, r, http.StatusMethodNotAllowed, "")
		if got := r.Header.Get("Allow"); got != "GET, HEAD" {
			t.Errorf("POST %s: Allow = %q, want GET, HEAD", p, got)
		}
	}
}

// TestReadinessReportsTheRevocationFeed: a gateway whose session
// revocation feed is not live is not ready — before its first load it
// refuses every access token (503), and after a loss it serves only what it
// held — while Postgres and Redis answer.
func TestReadinessReportsTheRevocationFeed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{feedStopped: true})
	r := h.do("GET", "/readyz", "")
	expectStatus(t, r, http.StatusServiceUnavailable)
	var rep struct {
		Status string
		Checks map[string]struct{ Status, Error string }
	}
	if err := json.Unmarshal(r.body, &rep); err != nil {
		t.Fatal(err)
	}
	feed := rep.Checks["revocations"]
	if rep.Checks["postgres"].Status != "ok" || rep.Checks["redis"].Status != "ok" ||
		feed.Status != "unavailable" || !strings.Contains(feed.Error, "session revocation feed down") {
		t.Errorf("readiness = %+v", rep)
	}
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.ups["crm"].set(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })

	expectStatus(t, h.do("GET", "/healthz", ""), http.StatusOK)
	r := h.do("GET", "/readyz", "")
	expectStatus(t, r, http.StatusOK) // a failing upstream does not fail the gateway
	var rep struct {
		Status    string
		Checks    map[string]struct{ Status string }
		Upstreams map[string]struct{ Status, Breaker string }
	}
	if err := json.Unmarshal(r.body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Status != "ok" || rep.Checks["postgres"].Status != "ok" || rep.Checks["redis"].Status != "ok" || rep.Checks["revocations"].Status != "ok" {
		t.Errorf("readiness = %+v", rep)
	}
	if rep.Upstreams["identity"].Status != "ok" || rep.Upstreams["crm"].Status != "unavailable" ||
		rep.Upstreams["portfolio"].Status != "not_configured" || rep.Upstreams["identity"].Breaker != "closed" {
		t.Errorf("upstreams = %+v", rep.Upstreams)
	}

	tok := h.token("0190a0f0-0000-7000-8000-0000000000f1")
	h.do("GET", "/api/v1/users", "", bearer(tok))
	m := h.do("GET", "/metrics", "")
	expectStatus(t, m, http.StatusOK)
	for _, want := range []string{
		`gateway_upstream_breaker_state{upstream="identity"} 0`,
		`gateway_upstream_request_duration_seconds_count{class="2xx",upstream="identity"} 1`,
		`gateway_requests_total{class="2xx",upstream="identity"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestServiceDocumentsAgreeWithTheGateway reads every service's
// openapi.yaml in the repository: each path is one the gateway routes, and
// each operation needs a token in the document exactly when it does at the
// gateway (routing.DefaultPublic), so the merge's shared 401 is right.
func TestServiceDocumentsAgreeWithTheGateway(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("..", "..", "services", "*", "openapi.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no service documents found (%v)", err)
	}
	table, err := routing.NewTable(routing.DefaultRoutes())
	if err != nil {
		t.Fatal(err)
	}
	public := routing.DefaultPublic()
	for _, f := range files {
		doc, err := openapi3.NewLoader().LoadFromFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for path, item := range doc.Paths.Map() {
			if _, ok := table.Lookup(path); !ok {
				t.Errorf("%s: %s is not routed by the gateway", f, path)
			}
			for method, op := range item.Operations() {
				security := doc.Security
				if op.Security != nil {
					security = *op.Security
				}
				documented := len(security) == 0
				if gw := public.Allows(method, path); gw != documented {
					t.Errorf("%s: %s %s: public in the document %v, at the gateway %v", f, method, path, documented, gw)
				}
			}
		}
	}
}
