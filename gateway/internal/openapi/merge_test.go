package openapi_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"reos.dev/gateway"
	"reos.dev/gateway/internal/openapi"
)

const base = `{"openapi":"3.1.0","info":{"title":"gw","version":"1"},"paths":{},
"components":{"schemas":{"Problem":{"type":"object","properties":{"type":{"type":"string"}}}}}}`

func doc(paths, schemas string) []byte {
	return []byte(`{"openapi":"3.1.0","info":{"title":"s","version":"1"},"paths":{` + paths + `},"components":{"schemas":{` + schemas + `}}}`)
}

func op(ref string) string {
	return `{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"` + ref + `"}}}}}}}`
}

func TestMergeCollisions(t *testing.T) {
	t.Parallel()
	problem := `"Problem":{"type":"object","properties":{"type":{"type":"string"}}}`
	otherProblem := `"Problem":{"type":"object","properties":{"code":{"type":"integer"}}}`
	res, err := openapi.Merge(t.Context(), []byte(base), []openapi.ServiceDoc{
		{Service: "b", Raw: doc(`"/api/v1/b":`+op("#/components/schemas/Problem")+`,"/api/v1/shared":`+op("#/components/schemas/Problem"), otherProblem)},
		{Service: "a", Raw: doc(`"/api/v1/a":`+op("#/components/schemas/Problem")+`,"/api/v1/shared":`+op("#/components/schemas/Problem"), problem)},
	}, []openapi.Missing{{Service: "c", Reason: "down"}}, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Invalid != nil {
		t.Errorf("merged document invalid: %v", res.Invalid)
	}
	s := res.Doc.Components.Schemas
	// a's Problem equals the gateway's, b's differs: only b is renamed, and
	// the gateway's own keeps its name.
	if s["Problem"] == nil || s["b.Problem"] == nil || s["a.Problem"] != nil {
		t.Errorf("schemas: %v", keys(s))
	}
	if len(res.Renames) != 1 || res.Renames[0].To != "b.Problem" {
		t.Errorf("renames: %+v", res.Renames)
	}
	ref := func(p string) string {
		return res.Doc.Paths.Value(p).Get.Responses.Value("200").Value.Content["application/json"].Schema.Ref
	}
	if ref("/api/v1/b") != "#/components/schemas/b.Problem" || ref("/api/v1/a") != "#/components/schemas/Problem" {
		t.Errorf("refs: a=%s b=%s", ref("/api/v1/a"), ref("/api/v1/b"))
	}
	// /shared is published by both: a (first by name) keeps it.
	if len(res.Conflicts) != 1 || res.Conflicts[0].Kept != "a" || res.Conflicts[0].Dropped != "b" {
		t.Errorf("conflicts: %+v", res.Conflicts)
	}
	if len(res.Missing) != 1 || res.Missing[0].Service != "c" {
		t.Errorf("missing: %+v", res.Missing)
	}
	out, err := json.Marshal(res.Doc)
	if err != nil {
		t.Fatal(err)
	}
	var ext map[string]any
	_ = json.Unmarshal(out, &ext)
	for _, k := range []string{"x-reos-missing-services", "x-reos-renamed-components", "x-reos-merge-conflicts"} {
		if ext[k] == nil {
			t.Errorf("%s missing from the output", k)
		}
	}
}

func TestMergeRelativePathsAndBadDocs(t *testing.T) {
	t.Parallel()
	rel := []byte(`openapi: 3.1.0
info: {title: s, version: "1"}
servers: [{url: "http://svc:8103/api/v1"}]
paths:
  /leads:
    get:
      responses:
        "200": {description: ok}
`)
	res, err := openapi.Merge(t.Context(), gateway.OpenAPI, []openapi.ServiceDoc{
		{Service: "crm", Raw: rel},
		{Service: "broken", Raw: []byte(`{"openapi": 3}`)},
	}, nil, openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Doc.Paths.Value("/api/v1/leads") == nil {
		t.Errorf("relative path not prefixed: %v", res.Doc.Paths.InMatchingOrder())
	}
	if res.Doc.Paths.Value("/healthz") == nil {
		t.Error("the gateway's own paths are missing")
	}
	if len(res.Missing) != 1 || res.Missing[0].Service != "broken" {
		t.Errorf("missing: %+v", res.Missing)
	}
	if _, err := openapi.Merge(t.Context(), []byte("not a document"), nil, nil, openapi.Options{}); err == nil {
		t.Error("an unusable base document was accepted")
	}
}

func TestGatewayDocumentIsValid(t *testing.T) {
	t.Parallel()
	// With the gateway's shared responses: Merge refuses a base document
	// that lacks one of them.
	res, err := openapi.Merge(t.Context(), gateway.OpenAPI, nil, nil, openapi.Options{Shared: openapi.GatewayResponses()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Invalid != nil {
		t.Errorf("openapi.yaml does not validate: %v", res.Invalid)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// sharedDoc is a service document with an authenticated read, an
// authenticated write that documents its own 400 and 401, and a public
// login that takes a body.
const sharedDoc = `
openapi: 3.1.0
info: {title: s, version: "1"}
paths:
  /api/v1/things:
    get:
      responses:
        "200": {description: ok}
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses:
        "201": {description: created}
        "400": {description: the service's own 400}
        "401": {description: the service's own 401}
  /api/v1/auth/login:
    post:
      security: []
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses:
        "200": {description: ok}
        "401": {description: wrong credentials}
`

// TestMergeAddsTheGatewayResponses: every proxied operation gets, by
// reference to the gateway's components/responses, each status the gateway
// (or nginx) can answer on it that the service does not document itself:
// 400, 429, 502, 503 and 504 everywhere, 401 where a token is needed, 408,
// 413 and 415 where a body is taken. The gateway's own paths are left as
// written.
func TestMergeAddsTheGatewayResponses(t *testing.T) {
	t.Parallel()
	public := func(method, path string) bool { return method == "POST" && path == "/api/v1/auth/login" }
	res, err := openapi.Merge(t.Context(), gateway.OpenAPI, []openapi.ServiceDoc{{Service: "s", Raw: []byte(sharedDoc)}}, nil,
		openapi.Options{Shared: openapi.GatewayResponses(), Public: public})
	if err != nil {
		t.Fatal(err)
	}
	if res.Invalid != nil {
		t.Errorf("merged document invalid: %v", res.Invalid)
	}
	const (
		badRequest  = "#/components/responses/NonCanonicalPath"
		unauth      = "#/components/responses/AuthenticationRequired"
		bodyTimeout = "#/components/responses/RequestBodyTimeout"
		tooLarge    = "#/components/responses/PayloadTooLarge"
		mediaType   = "#/components/responses/UnsupportedContentType"
		limited     = "#/components/responses/TooManyRequests"
		badGateway  = "#/components/responses/BadGateway"
		unavailable = "#/components/responses/ServiceUnavailable"
		timeout     = "#/components/responses/GatewayTimeout"
		own         = "" // the service's own, inline
	)
	tests := []struct {
		method, path string
		want         map[string]string // status → $ref
	}{
		{"GET", "/api/v1/things", map[string]string{
			"200": own, "400": badRequest, "401": unauth, "429": limited, "502": badGateway, "503": unavailable, "504": timeout,
		}},
		{"POST", "/api/v1/things", map[string]string{
			"201": own, "400": own, "401": own, "408": bodyTimeout, "413": tooLarge, "415": mediaType,
			"429": limited, "502": badGateway, "503": unavailable, "504": timeout,
		}},
		{"POST", "/api/v1/auth/login", map[string]string{
			"200": own, "400": badRequest, "401": own, "408": bodyTimeout, "413": tooLarge, "415": mediaType,
			"429": limited, "502": badGateway, "503": unavailable, "504": timeout,
		}},
		{"GET", "/healthz", map[string]string{"200": own}},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			op := res.Doc.Paths.Value(tc.path).GetOperation(tc.method)
			got := map[string]string{}
			for status, ref := range op.Responses.Map() {
				got[status] = ref.Ref
				if ref.Value == nil {
					t.Errorf("%s: unresolved", status)
				}
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("responses:\n got %v\nwant %v", sorted(got), sorted(tc.want))
			}
		})
	}
	// The service's own answers keep their words.
	if d := res.Doc.Paths.Value("/api/v1/things").Post.Responses.Value("401").Value.Description; *d != "the service's own 401" {
		t.Errorf("the service's 401 was replaced: %q", *d)
	}
	// A 429 says how long to wait and what is left.
	h := res.Doc.Paths.Value("/api/v1/auth/login").Post.Responses.Value("429").Value.Headers
	for _, name := range []string{"Retry-After", "RateLimit", "RateLimit-Policy"} {
		if h[name] == nil || h[name].Value == nil || !h[name].Value.Required {
			t.Errorf("the shared 429 does not require %s", name)
		}
	}
	// Written once: each operation points at the gateway's definition.
	out, err := json.Marshal(res.Doc)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Paths map[string]map[string]struct {
			Responses map[string]map[string]any `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(out, &g); err != nil {
		t.Fatal(err)
	}
	if r := g.Paths["/api/v1/things"]["get"].Responses["429"]; len(r) != 1 || r["$ref"] != limited {
		t.Errorf("the 429 of GET /api/v1/things is written out as %v, want only a $ref", r)
	}
}

func TestMergeRefusesABaseWithoutTheSharedResponses(t *testing.T) {
	t.Parallel()
	_, err := openapi.Merge(t.Context(), []byte(base), nil, nil, openapi.Options{Shared: openapi.GatewayResponses()})
	if err == nil || !strings.Contains(err.Error(), "NonCanonicalPath") {
		t.Errorf("Merge = %v, want an error naming the missing shared response", err)
	}
}

func sorted(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+strings.TrimPrefix(m[k], "#/components/responses/"))
	}
	return out
}
