package openapi_test

import (
	"encoding/json"
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
	}, []openapi.Missing{{Service: "c", Reason: "down"}})
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
	}, nil)
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
	if _, err := openapi.Merge(t.Context(), []byte("not a document"), nil, nil); err == nil {
		t.Error("an unusable base document was accepted")
	}
}

func TestGatewayDocumentIsValid(t *testing.T) {
	t.Parallel()
	res, err := openapi.Merge(t.Context(), gateway.OpenAPI, nil, nil)
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
