package tests

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
)

// scopeWorld is what agents_see_only_assigned decides about: a lead with
// everything that hangs off it (contact, note, activity, deal, document,
// the import that brought a lead in) for each of two agents, a lead nobody
// is assigned, and contacts that have no lead yet.
type scopeWorld struct {
	lead     leadJSON
	deal     dealJSON
	imp      leadImportJSON
	imported leadJSON // the lead the import made (assigned to its importer)
	loose    contactJSON
}

// scopeRoutes are the routes that read or change a lead's data, naming w's
// objects, with bodies that succeed for a caller who sees them (POST
// documents is an upload: body nil, sent as a file).
func scopeRoutes(w scopeWorld, assignee string) []routeCase {
	l, d := "/api/v1/leads/"+w.lead.ID, "/api/v1/deals/"+w.deal.ID
	rc := []routeCase{
		{"GET", l, nil},
		{"PUT", l, map[string]any{"status": "contacted"}},
		{"POST", l + "/score", nil},
		{"POST", l + "/assign", map[string]any{"user_id": assignee}},
		{"POST", l + "/activities", map[string]any{"type": "call", "direction": "out"}},
		{"POST", l + "/notes", map[string]any{"body": "hello"}},
		{"GET", l + "/timeline", nil},
		{"DELETE", l, nil},
		{"GET", d, nil},
		{"PUT", d, map[string]any{"title": "Renamed"}},
		{"PATCH", d + "/stage", map[string]any{"stage": "qualified"}},
		{"GET", d + "/timeline", nil},
		{"GET", d + "/documents", nil},
		{"POST", d + "/documents", nil},
		{"GET", "/api/v1/leads/imports/" + w.imp.ID, nil},
	}
	// Every contact: the lead's, the imported lead's and the one without
	// a lead.
	for _, c := range []string{w.lead.Contact.ID, w.imported.Contact.ID, w.loose.ID} {
		rc = append(rc, routeCase{"GET", "/api/v1/contacts/" + c, nil}, routeCase{"PUT", "/api/v1/contacts/" + c, map[string]any{"last_name": "Edited"}})
	}
	return rc
}

// scopeCreates are the routes under the scoped prefixes that name no
// existing row in their path; the ids their bodies carry are checked below.
var scopeCreates = []string{"POST /api/v1/leads", "POST /api/v1/contacts", "POST /api/v1/deals", "POST /api/v1/leads/import"}

// TestAgentScopeCoversEveryLeadRoute: with agents_see_only_assigned on, an
// agent is 404 on every route that reaches another agent's lead or what
// hangs off it — the lead's contact, notes, activities, timeline, score,
// deals and their documents, the other's lead import and its report — and
// on a lead nobody is assigned; none of it is in the agent's lists,
// searches or contact lookups, and a body naming it is 422 as for a
// missing row. The agent sees the contacts of its own leads and the
// contacts it created that have no lead yet. The setting off, it sees it
// all.
func TestAgentScopeCoversEveryLeadRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.withRoles(org, []string{"admin"}, permsAdmin)
	me, other := e.agent(org), e.agent(org)
	setting := func(on bool) {
		t.Helper()
		expect(t, e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_see_only_assigned": on}), http.StatusOK, "setting")
	}
	// An agent's world, made while the setting is on so that its import's
	// leads are its own.
	setting(true)
	seed := func(ag user, name string) scopeWorld {
		t.Helper()
		var w scopeWorld
		body := map[string]any{"first_name": "Scoped", "last_name": name, "email": name + "@example.com",
			"phone": "+1415555" + map[string]string{"mine": "0101", "theirs": "0102", "nobodys": "0103"}[name]}
		if ag.ID != "" {
			body["assignee_id"] = ag.ID
		}
		w.lead = e.createLead(admin, body)
		expect(t, e.call(http.MethodPost, "/api/v1/leads/"+w.lead.ID+"/notes", admin, map[string]any{"body": "codeword " + name}), http.StatusCreated, "note")
		expect(t, e.call(http.MethodPost, "/api/v1/leads/"+w.lead.ID+"/activities", admin, map[string]any{"type": "call", "direction": "in"}),
			http.StatusCreated, "activity")
		w.deal = e.createDeal(admin, w.lead.ID, 1_000)
		expect(t, e.upload("/api/v1/deals/"+w.deal.ID+"/documents", admin, nil, "offer.pdf", "application/pdf", pdfFile(1)),
			http.StatusCreated, "document")
		if ag.ID != "" {
			w.imp = e.importCSV(ag, "email,first_name\n"+name+".imported@example.com,Scoped\n", nil)
			r := e.call(http.MethodGet, "/api/v1/contacts?email="+url.QueryEscape(name+".imported@example.com"), admin, nil)
			expect(t, r, http.StatusOK, "imported contact")
			c := decode[listJSON[contactJSON]](t, r).Items
			if len(c) != 1 {
				t.Fatalf("imported contact: %s", r)
			}
			leads := decode[listJSON[leadJSON]](t, e.call(http.MethodGet, "/api/v1/leads?assignee_id="+ag.ID, admin, nil)).Items
			for _, l := range leads {
				if l.Contact.ID == c[0].ID {
					w.imported = l
				}
			}
			if w.imported.ID == "" {
				t.Fatalf("the import of %s made no lead assigned to it: %+v", name, leads)
			}
			r = e.call(http.MethodPost, "/api/v1/contacts", ag, map[string]any{"first_name": "Loose", "last_name": name, "email": name + ".loose@example.com"})
			expect(t, r, http.StatusCreated, "contact without a lead")
			w.loose = decode[contactJSON](t, r)
		}
		return w
	}
	mine, theirs := seed(me, "mine"), seed(other, "theirs")
	nobodys := seed(user{}, "nobodys")
	// nobody's world has no import and no loose contact: borrow the other
	// agent's, so every route of the table names something hidden.
	nobodys.imp, nobodys.imported, nobodys.loose = theirs.imp, theirs.imported, theirs.loose

	// A contact the agent created, once a lead on it is another's, is
	// the other's: a contact with leads follows its leads.
	r := e.call(http.MethodPost, "/api/v1/contacts", me, map[string]any{"first_name": "Handed", "email": "handed@example.com"})
	expect(t, r, http.StatusCreated, "contact to hand over")
	handed := decode[contactJSON](t, r)
	expect(t, e.call(http.MethodGet, "/api/v1/contacts/"+handed.ID, me, nil), http.StatusOK, "a contact it created, without a lead")
	expect(t, e.call(http.MethodPost, "/api/v1/leads", admin, map[string]any{"contact_id": handed.ID, "assignee_id": other.ID}),
		http.StatusCreated, "a lead on it for the other agent")
	// Its own lead-less contact may carry a lead it creates.
	ownLead := e.createLead(me, map[string]any{"contact_id": mine.loose.ID})
	if ownLead.AssigneeID == nil || *ownLead.AssigneeID != me.ID {
		t.Fatalf("the lead on its own contact went to %v", ownLead.AssigneeID)
	}

	// What the agent sees in each list: its own rows only.
	hiddenContacts := []string{theirs.lead.Contact.ID, theirs.imported.Contact.ID, theirs.loose.ID, nobodys.lead.Contact.ID, handed.ID}
	hiddenLeads := []string{theirs.lead.ID, theirs.imported.ID, nobodys.lead.ID}
	ids := func(r response, what string) []string {
		t.Helper()
		expect(t, r, http.StatusOK, what)
		var out []string
		for _, it := range decode[listJSON[struct{ ID string }]](t, r).Items {
			out = append(out, it.ID)
		}
		slices.Sort(out)
		return out
	}
	lists := []struct {
		name   string
		call   func() response
		hidden []string
	}{
		{"contacts", func() response { return e.call(http.MethodGet, "/api/v1/contacts?limit=100", me, nil) }, hiddenContacts},
		{"contact by email", func() response {
			return e.call(http.MethodGet, "/api/v1/contacts?email=theirs%40example.com", me, nil)
		}, []string{theirs.lead.Contact.ID}},
		{"contact by phone", func() response {
			return e.call(http.MethodGet, "/api/v1/contacts?phone=%2B14155550102", me, nil)
		}, []string{theirs.lead.Contact.ID}},
		{"leads", func() response { return e.call(http.MethodGet, "/api/v1/leads?limit=100", me, nil) }, hiddenLeads},
		{"search by name", func() response {
			return e.call(http.MethodPost, "/api/v1/search/leads", me, map[string]any{"q": "scoped", "limit": 100})
		}, hiddenLeads},
		{"search by note", func() response {
			return e.call(http.MethodPost, "/api/v1/search/leads", me, map[string]any{"q": "codeword theirs"})
		}, []string{theirs.lead.ID}},
		{"deals", func() response { return e.call(http.MethodGet, "/api/v1/deals?limit=100", me, nil) }, []string{theirs.deal.ID, nobodys.deal.ID}},
		{"deals of a hidden lead", func() response {
			return e.call(http.MethodGet, "/api/v1/deals?lead_id="+theirs.lead.ID, me, nil)
		}, []string{theirs.deal.ID}},
		{"lead imports", func() response { return e.call(http.MethodGet, "/api/v1/leads/imports?limit=100", me, nil) }, []string{theirs.imp.ID}},
	}
	for _, l := range lists {
		got := ids(l.call(), l.name)
		for _, h := range l.hidden {
			if slices.Contains(got, h) {
				t.Errorf("%s: the agent sees %s, which is not its own: %v", l.name, h, got)
			}
		}
	}
	if got := ids(e.call(http.MethodGet, "/api/v1/contacts?limit=100", me, nil), "contacts"); !slices.Equal(got,
		sortedIDs(mine.lead.Contact.ID, mine.imported.Contact.ID, mine.loose.ID)) {
		t.Errorf("the agent lists contacts %v, want its leads' and its lead-less one", got)
	}
	if got := ids(e.call(http.MethodGet, "/api/v1/leads/imports", me, nil), "imports"); !slices.Equal(got, []string{mine.imp.ID}) {
		t.Errorf("the agent lists imports %v, want its own %s", got, mine.imp.ID)
	}

	// Bodies naming what it cannot see are refused as for a missing row.
	expectField(t, e.call(http.MethodPost, "/api/v1/leads", me, map[string]any{"contact_id": theirs.lead.Contact.ID}),
		http.StatusUnprocessableEntity, "contact_id", "a lead on another's contact")
	expectField(t, e.call(http.MethodPost, "/api/v1/leads", me, map[string]any{"contact_id": theirs.loose.ID}),
		http.StatusUnprocessableEntity, "contact_id", "a lead on a contact another created")
	expectField(t, e.call(http.MethodPost, "/api/v1/deals", me, map[string]any{"lead_id": theirs.lead.ID, "title": "x", "value_cents": 1}),
		http.StatusUnprocessableEntity, "lead_id", "a deal on another's lead")

	// Every route naming hidden data is a 404 and changes nothing.
	eventsBefore := len(e.outboxTypes())
	send := func(c routeCase, u user) response {
		if c.method == http.MethodPost && strings.HasSuffix(c.path, "/documents") {
			return e.upload(c.path, u, nil, "c.pdf", "application/pdf", pdfFile(1))
		}
		return e.call(c.method, c.path, u, c.body)
	}
	covered := map[string]bool{}
	for _, w := range []scopeWorld{theirs, nobodys} {
		for _, c := range scopeRoutes(w, me.ID) {
			covered[c.method+" "+template(c.path)] = true
			if r := send(c, me); r.Status != http.StatusNotFound {
				t.Errorf("agent %s %s on data not its own: %s", c.method, c.path, r)
			}
		}
	}
	if n := len(e.outboxTypes()); n != eventsBefore {
		t.Errorf("refused calls emitted %d events", n-eventsBefore)
	}
	if c := decode[contactJSON](t, e.call(http.MethodGet, "/api/v1/contacts/"+theirs.lead.Contact.ID, admin, nil)); c.LastName != "theirs" {
		t.Errorf("the refused contact update changed it: %+v", c)
	}
	for _, rt := range testkit.Routes(t, e.srv.Router) {
		scoped := false
		for _, p := range []string{"/api/v1/leads", "/api/v1/contacts", "/api/v1/deals", "/api/v1/search"} {
			scoped = scoped || strings.HasPrefix(rt.Path, p)
		}
		key := rt.Method + " " + rt.Path
		if !scoped || covered[key] || slices.Contains(scopeCreates, key) || (rt.Method == "GET" && !strings.Contains(rt.Path, "{id}")) ||
			key == "POST /api/v1/search/leads" {
			continue
		}
		t.Errorf("route %s reaches a lead's data and is not in the scope table", key)
	}

	// Its own data answers on every route.
	for _, c := range scopeRoutes(mine, me.ID) {
		if r := send(c, me); r.Status != http.StatusOK && r.Status != http.StatusCreated && r.Status != http.StatusNoContent {
			t.Errorf("agent %s %s on its own data: %s", c.method, c.path, r)
		}
	}

	// Off: the agent sees everything again.
	setting(false)
	for _, w := range []scopeWorld{theirs, nobodys} {
		for _, c := range scopeRoutes(w, me.ID) {
			if c.method == http.MethodGet {
				expect(t, e.call(c.method, c.path, me, nil), http.StatusOK, "setting off: "+c.path)
			}
		}
	}
	for _, l := range lists {
		got := ids(l.call(), l.name)
		for _, h := range l.hidden {
			if !slices.Contains(got, h) {
				t.Errorf("setting off, %s: %s is missing from %v", l.name, h, got)
			}
		}
	}
}
