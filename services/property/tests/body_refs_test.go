package tests

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestBodyReferencesAreChecked: every id a request body may carry (a
// documented JSON body field of format uuid, found by walking the OpenAPI
// document, so a new one fails the test until it is listed here and
// checked) names something the caller's organisation owns, else 422
// naming the field (issue 9, defect 7): another organisation's row and an
// id that names nothing are refused alike.
func TestBodyReferencesAreChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("4 Reference Road", "Raleigh", 1, nil))
	l := decode[listingJSON](t, e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p.ID, "list_price_cents": 1}))
	other := e.token(newOrg(), "*")
	foreignUser := uuid.Must(uuid.NewV7()).String()
	e.knownUser(other.OrgID, foreignUser, true)
	foreign := map[string]string{
		"property_id":   e.create(other, house("4 Reference Road", "Raleigh", 1, nil)).ID,
		"agent_user_id": foreignUser,
	}
	// The body references of each route, with a valid body around them.
	refs := map[string]struct {
		path   string
		body   map[string]any
		fields []string
	}{
		"POST /api/v1/listings":     {"/api/v1/listings", map[string]any{"property_id": p.ID, "list_price_cents": 1}, []string{"agent_user_id", "property_id"}},
		"PUT /api/v1/listings/{id}": {"/api/v1/listings/" + l.ID, map[string]any{"list_price_cents": 2}, []string{"agent_user_id"}},
	}

	documented := documentedBodyIDs(t, e.call(http.MethodGet, "/openapi.json", "", nil).Body)
	for key, fields := range documented {
		if r, ok := refs[key]; !ok || !slices.Equal(r.fields, fields) {
			t.Errorf("%s documents body ids %v; the test checks %v", key, fields, r.fields)
		}
	}
	for key := range refs {
		if _, ok := documented[key]; !ok {
			t.Errorf("the test checks %s, which documents no body id", key)
		}
	}

	for key, r := range refs {
		method, _, _ := strings.Cut(key, " ")
		for _, field := range r.fields {
			for what, id := range map[string]string{"another org's": foreign[field], "a random": uuid.NewString()} {
				body := maps.Clone(r.body)
				body[field] = id
				expectField(t, e.call(method, r.path, admin.Token, body), http.StatusUnprocessableEntity, field, key+" with "+what+" "+field)
			}
		}
	}
}

// documentedBodyIDs returns, per "METHOD /path", the sorted names of the
// JSON request body's properties of format uuid (following $ref and allOf).
func documentedBodyIDs(t *testing.T, doc []byte) map[string][]string {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	resolve := func(s map[string]any) map[string]any {
		for depth := 0; depth < 10; depth++ {
			ref, ok := s["$ref"].(string)
			if !ok {
				return s
			}
			node := any(d)
			for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				node = node.(map[string]any)[part]
			}
			s = node.(map[string]any)
		}
		t.Fatal("$ref chain too deep")
		return nil
	}
	var walk func(s map[string]any, out map[string]bool)
	walk = func(s map[string]any, out map[string]bool) {
		s = resolve(s)
		allOf, _ := s["allOf"].([]any)
		for _, sub := range allOf {
			walk(sub.(map[string]any), out)
		}
		props, _ := s["properties"].(map[string]any)
		for name, raw := range props {
			if resolve(raw.(map[string]any))["format"] == "uuid" {
				out[name] = true
			}
		}
	}
	out := map[string][]string{}
	for path, ops := range d["paths"].(map[string]any) {
		for method, raw := range ops.(map[string]any) {
			op, ok := raw.(map[string]any)
			if !ok || op["requestBody"] == nil {
				continue
			}
			content, _ := resolve(op["requestBody"].(map[string]any))["content"].(map[string]any)
			media, ok := content["application/json"].(map[string]any)
			if !ok {
				continue
			}
			ids := map[string]bool{}
			walk(media["schema"].(map[string]any), ids)
			if len(ids) > 0 {
				out[strings.ToUpper(method)+" "+path] = slices.Sorted(maps.Keys(ids))
			}
		}
	}
	return out
}
