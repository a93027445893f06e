package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/testkit"
	"reos.dev/services/property/internal/server"
)

// bodylessWrites are the write routes that read no body: the jobs API's
// actions. fileUploads take multipart/form-data and check their own types
// (media_test.go, import_test.go). Every other POST, PUT or PATCH reads JSON.
var (
	fileUploads = map[string]bool{
		"POST /api/v1/properties/{id}/images":    true,
		"POST /api/v1/properties/{id}/documents": true,
		"POST /api/v1/properties/bulk-import":    true,
	}
	bodylessWritePrefix = jobs.APIPath(server.ServiceName) + "/"
)

// TestJSONRoutesRefuseOtherContentTypes: every route that reads a JSON body
// (taken from the router, so a new one is covered) answers a body sent
// without Content-Type, or as text/plain or a form, with a 415 problem
// naming Content-Type and changes nothing; the same body sent as
// application/json; charset=utf-8 gets past the check.
func TestJSONRoutesRefuseOtherContentTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("1 Media Type Way", "Durham", 300_000_00, nil))
	r := e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p.ID, "list_price_cents": 1})
	expect(t, r, http.StatusCreated, "listing")
	listing := decode[listingJSON](t, r)
	body := `{"unparsed_address":"2 Media Type Way","city":"Durham","list_price_cents":1,"property_type":"Residential","standard_status":"Active"}`
	bodies := map[string]string{
		"POST /api/v1/properties":                 body,
		"PUT /api/v1/properties/{id}":             `{"city":"Cary"}`,
		"POST /api/v1/search/properties":          `{"q":"media"}`,
		"POST /api/v1/listings":                   `{"property_id":"` + p.ID + `","list_price_cents":2}`,
		"PUT /api/v1/listings/{id}":               `{"list_price_cents":3}`,
		"POST /api/v1/properties/{id}/valuations": `{}`,
	}
	n := 0
	for _, rt := range testkit.Routes(t, e.srv.Router) {
		key := rt.Method + " " + rt.Path
		if (rt.Method != http.MethodPost && rt.Method != http.MethodPut && rt.Method != http.MethodPatch) ||
			fileUploads[key] || strings.HasPrefix(rt.Path, bodylessWritePrefix) {
			continue
		}
		b, ok := bodies[key]
		if !ok {
			t.Fatalf("route %s reads JSON but the test has no body for it", key)
		}
		path := strings.NewReplacer("/properties/{id}", "/properties/"+p.ID, "/listings/{id}", "/listings/"+listing.ID).Replace(rt.Path)
		n++
		expectField(t, e.sendWithoutContentType(rt.Method, path, admin.Token, b), http.StatusUnsupportedMediaType, "Content-Type", key+" without Content-Type")
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"} {
			expectField(t, e.client.Do(rt.Method, path, admin.Token, b, "Content-Type", ct), http.StatusUnsupportedMediaType, "Content-Type", key+" as "+ct)
		}
		if key == "PUT /api/v1/properties/{id}" {
			if got := decode[propertyJSON](t, e.call(http.MethodGet, "/api/v1/properties/"+p.ID, admin.Token, nil)); got.City != "Durham" {
				t.Fatalf("a refused PUT changed the property: city %q", got.City)
			}
		}
		r := e.client.Do(rt.Method, path, admin.Token, b, "Content-Type", "application/json; charset=utf-8")
		if r.Status == http.StatusUnsupportedMediaType || r.Status >= 500 {
			t.Errorf("%s as application/json; charset=utf-8: %s", key, r)
		}
	}
	if n != len(bodies) {
		t.Fatalf("%d JSON routes found, the test has bodies for %d", n, len(bodies))
	}
	// And the document says so on each of them.
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(e.call(http.MethodGet, "/openapi.json", "", nil).Body, &doc); err != nil {
		t.Fatal(err)
	}
	for key := range bodies {
		method, path, _ := strings.Cut(key, " ")
		var op struct {
			Responses map[string]json.RawMessage `json:"responses"`
		}
		if err := json.Unmarshal(doc.Paths[path][strings.ToLower(method)], &op); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if _, ok := op.Responses["415"]; !ok {
			t.Errorf("openapi.yaml: %s does not list its 415", key)
		}
	}
}

// sendWithoutContentType sends body with no Content-Type header at all
// (testkit's client always sets one).
func (e *env) sendWithoutContentType(method, path, token, body string) response {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.client.URL()+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, sent := req.Header["Content-Type"]; sent {
		e.t.Fatal("the request has a Content-Type")
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: data}
}
