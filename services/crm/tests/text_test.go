package tests

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"reos.dev/pkg/testkit"
)

// badUTF8 marks the string of a test body that is sent as bytes that are
// not UTF-8 (a lone continuation byte and a truncated sequence, which
// encoding/json would turn into U+FFFD).
const (
	badUTF8  = "@not-utf8@"
	badBytes = "Jos\x80 \xc3"
)

// TestInvalidUTF8IsRefusedNamingTheField: a JSON body whose string — a
// value at any depth, in an array, or a key — is not valid UTF-8 is a 422
// naming the field (the object key holding it; "body" for a bad key at the
// top), on every route that reads a JSON body, and nothing is stored. crm
// never replaces the bytes with U+FFFD behind the client's back.
func TestInvalidUTF8IsRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.withRoles(newOrg(), []string{"admin"}, permsAdmin)
	w := seedWorld(e, admin)
	l, c, d := "/api/v1/leads/"+w.lead.ID, "/api/v1/contacts/"+w.lead.Contact.ID, "/api/v1/deals/"+w.deal.ID
	rule := "/api/v1/assignment-rules/" + w.rule.ID
	cases := []struct {
		method, path string
		body         map[string]any // badUTF8 marks the value to corrupt
		field        string
	}{
		{"POST", "/api/v1/leads", map[string]any{"first_name": badUTF8, "email": "x@example.com"}, "first_name"},
		{"POST", "/api/v1/leads", map[string]any{"email": "x@example.com", "postal_code": badUTF8}, "postal_code"},
		{"PUT", l, map[string]any{"postal_code": badUTF8}, "postal_code"},
		{"POST", l + "/assign", map[string]any{"user_id": badUTF8}, "user_id"},
		{"POST", l + "/activities", map[string]any{"type": "call", "body": badUTF8}, "body"},
		{"POST", l + "/notes", map[string]any{"body": badUTF8}, "body"},
		{"POST", "/api/v1/search/leads", map[string]any{"q": badUTF8}, "q"},
		{"POST", "/api/v1/contacts", map[string]any{"last_name": badUTF8}, "last_name"},
		{"PUT", c, map[string]any{"first_name": badUTF8}, "first_name"},
		{"POST", "/api/v1/lead-sources", map[string]any{"key": "fair", "name": badUTF8}, "name"},
		{"POST", "/api/v1/deal-stages", map[string]any{"key": "inspection", "name": badUTF8, "position": 45}, "name"},
		{"POST", "/api/v1/deals", map[string]any{"lead_id": w.lead.ID, "title": badUTF8, "value_cents": 1}, "title"},
		{"PUT", d, map[string]any{"title": badUTF8}, "title"},
		{"PATCH", d + "/stage", map[string]any{"stage": badUTF8}, "stage"},
		{"POST", "/api/v1/assignment-rules", map[string]any{"name": "Rule", "target": map[string]any{"user_id": admin.ID},
			"match": map[string]any{"postal_codes": []string{"10001", badUTF8}}}, "match.postal_codes"},
		{"PUT", rule, map[string]any{"name": badUTF8}, "name"},
		{"PUT", "/api/v1/crm/settings", map[string]any{badUTF8: true}, "body"},
	}
	covered := map[string]bool{}
	before := len(e.outboxTypes())
	for _, tc := range cases {
		covered[tc.method+" "+template(tc.path)] = true
		raw, err := json.Marshal(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		body := strings.Replace(string(raw), badUTF8, badBytes, 1)
		if utf8.ValidString(body) {
			t.Fatalf("%s %s: the body is valid UTF-8: %q", tc.method, tc.path, body)
		}
		r := e.call(tc.method, tc.path, admin, []byte(body))
		if r.Status != http.StatusUnprocessableEntity || !slices.Contains(problemFieldsOf(t, r), tc.field) {
			t.Errorf("%s %s with invalid UTF-8 in %s: %s", tc.method, tc.path, tc.field, r)
		}
	}
	if n := len(e.outboxTypes()) - before; n != 0 {
		t.Errorf("refused bodies emitted %d events", n)
	}
	if n := e.count(`SELECT count(*) FROM crm.contacts WHERE first_name LIKE '%' || chr(65533) || '%' OR last_name LIKE '%' || chr(65533) || '%'`); n != 0 {
		t.Errorf("%d contacts stored with U+FFFD", n)
	}
	// Every route that reads a JSON body is in the table: the multipart
	// uploads and the routes without a body are not.
	noJSON := []string{"POST /api/v1/leads/import", "POST /api/v1/deals/{id}/documents", "POST /api/v1/leads/{id}/score"}
	for _, rt := range testkit.Routes(t, e.srv.Router) {
		key := rt.Method + " " + rt.Path
		if !slices.Contains([]string{"POST", "PUT", "PATCH"}, rt.Method) || strings.HasPrefix(rt.Path, "/api/v1/jobs/") ||
			slices.Contains(noJSON, key) || covered[key] {
			continue
		}
		t.Errorf("route %s reads a JSON body and is not in the UTF-8 table", key)
	}
	// A valid U+FFFD the client did send is text like any other.
	r := e.call(http.MethodPost, "/api/v1/contacts", admin, map[string]any{"first_name": "Repl\ufffdcement"})
	expect(t, r, http.StatusCreated, "a real U+FFFD")
	if got := decode[contactJSON](t, r); got.FirstName != "Repl\ufffdcement" {
		t.Fatalf("first_name = %q", got.FirstName)
	}
}

// problemFieldsOf returns the fields a problem names.
func problemFieldsOf(t testing.TB, r response) []string {
	t.Helper()
	var p problemJSON
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return nil
	}
	var out []string
	for _, f := range p.Errors {
		out = append(out, f.Field)
	}
	return out
}

// TestSearchQueryIsMeasuredInCharacters: POST /search/leads takes a q of
// up to 200 characters, however many bytes they take: 200 two-byte (and
// four-byte) characters are searched, 201 are a 422 naming q.
func TestSearchQueryIsMeasuredInCharacters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user(newOrg(), permsAgent)
	first, last := strings.Repeat("é", 100), strings.Repeat("é", 99)
	e.createLead(u, map[string]any{"first_name": first, "last_name": last, "email": "long@example.com"})
	for _, ch := range []string{"é", "🏠"} {
		q := strings.Repeat(ch, 100) + " " + strings.Repeat(ch, 99)
		r := e.call(http.MethodPost, "/api/v1/search/leads", u, map[string]any{"q": q})
		expect(t, r, http.StatusOK, "200 characters of "+ch+" ("+strconv.Itoa(len(q))+" bytes)")
		if ch == "é" {
			if items := decode[listJSON[leadJSON]](t, r).Items; len(items) != 1 {
				t.Fatalf("the search at the limit found %d leads, want 1", len(items))
			}
		}
		expectField(t, e.call(http.MethodPost, "/api/v1/search/leads", u, map[string]any{"q": q + ch}),
			http.StatusUnprocessableEntity, "q", "201 characters of "+ch)
	}
}
