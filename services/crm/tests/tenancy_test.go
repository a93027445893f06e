package tests

import (
	"net/http"
	"strings"
	"testing"

	"reos.dev/pkg/routes"
)

// world is one org's lead (with its contact), deal, assignment rule and
// lead import, for the route tests.
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

// TestRefusedCallsChangeNothing: beside their answers (TestRoutes), the
// calls the route table refuses leave no trace. Every write of the table
// sent by the viewer (403) and every write naming the owner's rows sent by
// another organisation's admin (404) leaves the owner's organisation as it
// was — everything its admin reads through the table's GET routes — and
// emits no event.
func TestRefusedCallsChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newRouteWorld(e)
	before, eventsBefore := ownerView(e, w), len(e.outboxTypes())
	for _, rt := range w.fixture.Routes {
		if !rt.Write() || rt.Public {
			continue
		}
		body, ok := w.fixture.Bodies[rt.Key()]
		if !ok {
			body = map[string]any{}
		}
		e.call(rt.Method, fillPath(rt, w.fixture.IDs), w.viewer, body)
		if len(rt.Owned) > 0 {
			e.call(rt.Method, fillPath(rt, w.fixture.IDs), w.intruder, body)
		}
	}
	after := ownerView(e, w)
	for path, was := range before {
		if after[path] != was {
			t.Errorf("GET %s changed:\n was %s\n now %s", path, was, after[path])
		}
	}
	if n := len(e.outboxTypes()); n != eventsBefore {
		t.Errorf("refused calls emitted %d events", n-eventsBefore)
	}
}

// ownerView is what the owner of w reads through every GET route of the
// table, by path.
func ownerView(e *env, w routeWorld) map[string]string {
	e.t.Helper()
	view := map[string]string{}
	for _, rt := range w.fixture.Routes {
		if rt.Method != http.MethodGet || rt.Public {
			continue
		}
		path := fillPath(rt, w.fixture.IDs)
		r := e.call(rt.Method, path, w.owner, nil)
		expect(e.t, r, http.StatusOK, "the owner reads "+path)
		view[path] = string(r.Body)
	}
	return view
}

// fillPath is rt's path naming the rows of ids.
func fillPath(rt routes.Route, ids map[string]string) string {
	path := rt.Path
	for v, kind := range rt.Owned {
		path = strings.ReplaceAll(path, "{"+v+"}", ids[kind])
	}
	return path
}

// TestOtherOrganisationSeesNothing: another organisation's lists and
// searches show none of the owner's rows, its bodies cannot reference
// them, and its settings are its own.
func TestOtherOrganisationSeesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.user(newOrg(), permsAgent)
	w := seedWorld(e, owner)
	intruder := e.user(newOrg(), permsAdmin)
	for _, path := range []string{"/api/v1/leads", "/api/v1/contacts", "/api/v1/deals", "/api/v1/assignment-rules", "/api/v1/leads/imports"} {
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
	if st := decode[struct {
		On bool `json:"agents_see_only_assigned"`
	}](t, e.call("GET", "/api/v1/crm/settings", owner, nil)); st.On {
		t.Fatal("the intruder's settings reached the owner's organisation")
	}
}

// TestViewerReadsEverything: the viewer, refused every write (TestRoutes),
// reads every route of the table that reads (each GET and the search).
func TestViewerReadsEverything(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newRouteWorld(e)
	for _, rt := range w.fixture.Routes {
		if rt.Public || rt.Write() {
			continue
		}
		var body any
		if rt.Method != http.MethodGet {
			body = map[string]any{"q": "owner"}
		}
		expect(t, e.call(rt.Method, fillPath(rt, w.fixture.IDs), w.viewer, body), http.StatusOK, "viewer "+rt.Key())
	}
}
