package tests

import (
	"net/http"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
)

// world is one org's lead, contact, deal and assignment rule, for the
// route tables.
type world struct {
	lead leadJSON
	deal dealJSON
	rule ruleJSON
	// leadImport is an import of the owner's own lead (merged: it adds no lead).
	leadImport string
}

func seedWorld(e *env, u user) world {
	e.t.Helper()
	l := e.createLead(u, map[string]any{"email": "owner@example.com", "first_name": "Owner"})
	// A rule no lead of the tests matches, made by an admin of the org.
	rule := e.createRule(e.user(u.OrgID, permsAdmin), map[string]any{
		"name": "Nowhere", "match": map[string]any{"postal_codes": []string{"00000"}}, "target": map[string]any{"user_id": u.ID},
	})
	imp := e.importCSV(u, "email\nowner@example.com\n", nil)
	return world{lead: l, deal: e.createDeal(u, l.ID, 100_000_00), rule: rule, leadImport: imp.ID}
}

// routeCase is a call to one route with a valid body.
type routeCase struct {
	method, path string
	body         any
}

// idRoutes are the routes naming a resource, with bodies that would succeed
// for the owner.
func idRoutes(w world, assignee string) []routeCase {
	l, c, d := "/api/v1/leads/"+w.lead.ID, "/api/v1/contacts/"+w.lead.Contact.ID, "/api/v1/deals/"+w.deal.ID
	rule := "/api/v1/assignment-rules/" + w.rule.ID
	return []routeCase{
		{"PUT", rule, map[string]any{"name": "Renamed"}},
		{"DELETE", rule, nil},
		{"GET", l, nil},
		{"PUT", l, map[string]any{"status": "contacted"}},
		{"POST", l + "/score", nil},
		{"POST", l + "/assign", map[string]any{"user_id": assignee}},
		{"POST", l + "/activities", map[string]any{"type": "call", "direction": "out"}},
		{"POST", l + "/notes", map[string]any{"body": "hello"}},
		{"GET", l + "/timeline", nil},
		{"DELETE", l, nil},
		{"GET", c, nil},
		{"PUT", c, map[string]any{"first_name": "X"}},
		{"GET", d, nil},
		{"PUT", d, map[string]any{"title": "T"}},
		{"PATCH", d + "/stage", map[string]any{"stage": "qualified"}},
		{"GET", d + "/timeline", nil},
		{"GET", "/api/v1/leads/imports/" + w.leadImport, nil},
		{"GET", d + "/documents", nil},
		// The deal is looked up (and the permission checked) before the
		// multipart body is read, so no file is needed to reach the answer.
		{"POST", d + "/documents", nil},
	}
}

// template turns a concrete path back into its route template.
func template(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if len(p) == 36 {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

func TestCrossOrgIs404OnEveryRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.user(newOrg(), permsAgent)
	w := seedWorld(e, owner)
	intruder := e.user(newOrg(), permsAdmin)

	cases := idRoutes(w, intruder.ID)
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.method+" "+template(c.path)] = true
		r := e.call(c.method, c.path, intruder, c.body)
		if r.Status != http.StatusNotFound {
			t.Errorf("%s %s from another org: %s", c.method, c.path, r)
		}
	}
	for _, rt := range testkit.Routes(t, e.srv.Router) {
		if strings.Contains(rt.Path, "{id}") && !covered[rt.Method+" "+rt.Path] {
			t.Errorf("route %s %s is not in the cross-org table", rt.Method, rt.Path)
		}
	}
	// Lists and search show nothing of the other org; references into it
	// are unknown.
	for _, path := range []string{"/api/v1/leads", "/api/v1/contacts", "/api/v1/deals", "/api/v1/assignment-rules"} {
		if l := decode[listJSON[leadJSON]](t, e.call("GET", path, intruder, nil)); len(l.Items) != 0 {
			t.Errorf("%s shows another org's rows", path)
		}
	}
	if l := decode[listJSON[leadJSON]](t, e.call("POST", "/api/v1/search/leads", intruder, map[string]any{"q": "owner"})); len(l.Items) != 0 {
		t.Error("search shows another org's leads")
	}
	expectField(t, e.call("POST", "/api/v1/leads", intruder, map[string]any{"contact_id": w.lead.Contact.ID}), 422, "contact_id", "foreign contact")
	expectField(t, e.call("POST", "/api/v1/deals", intruder, map[string]any{"lead_id": w.lead.ID, "title": "x", "value_cents": 1}), 422, "lead_id", "foreign lead")
	// Settings are per organisation: the intruder's change is its own.
	expect(t, e.call("PUT", "/api/v1/crm/settings", intruder, map[string]any{"agents_see_only_assigned": true}), http.StatusOK, "intruder's settings")
	// The owner still sees everything unchanged.
	if got := decode[leadJSON](t, e.call("GET", "/api/v1/leads/"+w.lead.ID, owner, nil)); got.Status != "new" || got.ArchivedAt != nil {
		t.Fatalf("intruder changed the lead: %+v", got)
	}
	if rules := decode[listJSON[ruleJSON]](t, e.call("GET", "/api/v1/assignment-rules", owner, nil)); len(rules.Items) != 1 || rules.Items[0].Name != "Nowhere" {
		t.Fatalf("intruder changed the rules: %+v", rules)
	}
	if st := decode[struct {
		On bool `json:"agents_see_only_assigned"`
	}](t, e.call("GET", "/api/v1/crm/settings", owner, nil)); st.On {
		t.Fatal("the intruder's settings reached the owner's organisation")
	}
}

func TestViewerIsReadOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	owner := e.user(org, permsAgent)
	w := seedWorld(e, owner)
	viewer := e.user(org, permsViewer)
	writes := []routeCase{
		{"POST", "/api/v1/leads", map[string]any{"email": "v@example.com"}},
		{"POST", "/api/v1/contacts", map[string]any{"email": "v2@example.com"}},
		{"POST", "/api/v1/lead-sources", map[string]any{"key": "fair", "name": "Fair"}},
		{"POST", "/api/v1/deal-stages", map[string]any{"key": "inspection", "name": "Inspection", "position": 45}},
		{"POST", "/api/v1/deals", map[string]any{"lead_id": w.lead.ID, "title": "x", "value_cents": 1}},
		// The jobs API checks tasks:write before it looks a job up.
		{"POST", "/api/v1/jobs/crm/1/cancel", nil},
		{"POST", "/api/v1/jobs/crm/1/retry", nil},
		{"POST", "/api/v1/jobs/crm/1/replay", nil},
		{"POST", "/api/v1/assignment-rules", map[string]any{"name": "Mine", "target": map[string]any{"user_id": viewer.ID}}},
		{"PUT", "/api/v1/crm/settings", map[string]any{"agents_see_only_assigned": true}},
		{"POST", "/api/v1/leads/import", nil},
	}
	for _, c := range idRoutes(w, viewer.ID) {
		if c.method != "GET" {
			writes = append(writes, c)
		}
	}
	for _, c := range writes {
		if r := e.call(c.method, c.path, viewer, c.body); r.Status != http.StatusForbidden {
			t.Errorf("viewer %s %s: %s", c.method, c.path, r)
		}
	}
	for _, c := range idRoutes(w, viewer.ID) {
		if c.method == "GET" {
			expect(t, e.call(c.method, c.path, viewer, nil), http.StatusOK, "viewer "+c.path)
		}
	}
	for _, path := range []string{"/api/v1/leads", "/api/v1/contacts", "/api/v1/deals", "/api/v1/lead-sources", "/api/v1/deal-stages",
		"/api/v1/assignment-rules", "/api/v1/crm/settings"} {
		expect(t, e.call("GET", path, viewer, nil), http.StatusOK, "viewer "+path)
	}
	expect(t, e.call("POST", "/api/v1/search/leads", viewer, map[string]any{"q": "owner"}), http.StatusOK, "viewer search")
	// Every write in the router is in the table.
	n := 0
	for _, rt := range testkit.Routes(t, e.srv.Router) {
		if strings.HasPrefix(rt.Path, "/api/") && rt.Method != "GET" && rt.Method != "HEAD" && rt.Path != "/api/v1/search/leads" {
			n++
		}
	}
	if n != len(writes) {
		t.Errorf("%d write routes, %d tested", n, len(writes))
	}
	// No token at all is 401.
	expect(t, e.call("GET", "/api/v1/leads", user{}, nil), http.StatusUnauthorized, "anonymous")
	if n := len(e.outboxTypes()); n != 4 {
		t.Errorf("viewer writes left %d events (want the owner's 4: lead, rule, import, deal)", n)
	}
}
