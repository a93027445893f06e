package tests

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
	"reos.dev/services/crm/internal/server"
)

// dealRoutes are the routes naming a deal, with bodies that succeed for a
// caller who sees it (documents: a real file, so a 404 is not the missing
// file's fault).
func dealRoutes(dealID string) []routeCase {
	d := "/api/v1/deals/" + dealID
	return []routeCase{
		{"GET", d, nil},
		{"PUT", d, map[string]any{"title": "Renamed by the agent"}},
		{"PATCH", d + "/stage", map[string]any{"stage": "qualified"}},
		{"GET", d + "/timeline", nil},
		{"GET", d + "/documents", nil},
		{"POST", d + "/documents", nil},
	}
}

// TestAgentsSeeOnlyAssignedDeals: with agents_see_only_assigned on, a
// caller whose only role is agent sees and acts on only the deals whose
// lead is assigned to it — in lists (filtered in the query, so pages stay
// full) and on every deal route; any other deal is a 404 like another
// organisation's and is left untouched. Setting off, it sees every deal;
// sales, admins and agents holding another role always do. A deal follows
// its lead: reassigning the lead hands the deal over.
func TestAgentsSeeOnlyAssignedDeals(t *testing.T) {
	t.Parallel()
	files := testFiles(t)
	e := newEnv(t, func(o *server.Options) { o.Files, o.Signer = files.disk, files.signer })
	org := newOrg()
	admin := e.withRoles(org, []string{"admin"}, permsAdmin)
	agent, other := e.agent(org), e.agent(org)
	sales := e.withRoles(org, []string{"sales"}, permsSales)
	mixed := e.withRoles(org, []string{"agent", "sales"}, permsSales)

	mine := e.createLead(admin, map[string]any{"email": "mine@example.com", "assignee_id": agent.ID})
	theirs := e.createLead(admin, map[string]any{"email": "theirs@example.com", "assignee_id": other.ID})
	nobodys := e.createLead(admin, map[string]any{"email": "nobody@example.com"})
	// Deals interleaved in creation order (newest first in lists), three
	// of them on the agent's lead, so a post-filtered page would come short.
	var myDeals, allDeals []string
	for range 3 {
		for _, l := range []leadJSON{theirs, mine, nobodys} {
			d := e.createDeal(admin, l.ID, 1_000)
			allDeals = append(allDeals, d.ID)
			if l.ID == mine.ID {
				myDeals = append(myDeals, d.ID)
			}
		}
	}
	theirDeal, nobodysDeal := allDeals[0], allDeals[2]

	// listPaged lists the deals u sees two a page and checks every page
	// but the last is full.
	listPaged := func(u user, query string) []string {
		t.Helper()
		var ids []string
		cursor := ""
		for {
			path := "/api/v1/deals?limit=2" + query
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			r := e.call(http.MethodGet, path, u, nil)
			expect(t, r, http.StatusOK, "list deals")
			p := decode[listJSON[dealJSON]](t, r)
			if p.NextCursor != nil && len(p.Items) != 2 {
				t.Fatalf("a page of %d deals before the last: %s", len(p.Items), r)
			}
			for _, d := range p.Items {
				ids = append(ids, d.ID)
			}
			if p.NextCursor == nil {
				slices.Sort(ids)
				return ids
			}
			cursor = *p.NextCursor
		}
	}
	everyDeal := sortedIDs(allDeals...)

	// Off (the default): the agent sees every deal.
	if got := listPaged(agent, ""); !slices.Equal(got, everyDeal) {
		t.Fatalf("setting off: agent lists %v, want all %v", got, everyDeal)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/deals/"+theirDeal, agent, nil), http.StatusOK, "setting off: another's deal")

	expect(t, e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_see_only_assigned": true}), http.StatusOK, "turn it on")

	// On: the agent's list holds its lead's deals only, in full pages.
	if got := listPaged(agent, ""); !slices.Equal(got, sortedIDs(myDeals...)) {
		t.Fatalf("agent lists %v, want %v", got, sortedIDs(myDeals...))
	}
	if got := listPaged(agent, "&sort=value_cents"); !slices.Equal(got, sortedIDs(myDeals...)) {
		t.Fatalf("agent lists by value %v, want %v", got, sortedIDs(myDeals...))
	}
	if got := listPaged(agent, "&lead_id="+theirs.ID); len(got) != 0 {
		t.Fatalf("agent lists the deals of another's lead: %v", got)
	}
	if got := listPaged(other, ""); len(got) != 3 || slices.Contains(got, myDeals[0]) {
		t.Fatalf("the other agent lists %v", got)
	}

	// Every deal route: another's or nobody's deal is a 404 and stays as
	// it was; its own deal answers.
	covered := map[string]bool{}
	changesBefore, eventsBefore := e.count(`SELECT count(*) FROM crm.deal_changes`), len(e.outboxTypes())
	for _, id := range []string{theirDeal, nobodysDeal} {
		for _, c := range dealRoutes(id) {
			covered[c.method+" "+template(c.path)] = true
			var r response
			if c.method == "POST" {
				r = e.upload(c.path, agent, []part{{"title", "Sneaky"}}, "c.pdf", "application/pdf", pdfFile(1))
			} else {
				r = e.call(c.method, c.path, agent, c.body)
			}
			if r.Status != http.StatusNotFound {
				t.Errorf("agent %s %s on a deal whose lead is not its own: %s", c.method, c.path, r)
			} else if p := decode[problemJSON](t, r); !strings.Contains(p.Type, "deal_not_found") {
				t.Errorf("agent %s %s: 404 is not deal_not_found: %s", c.method, c.path, r)
			}
		}
	}
	if n := e.count(`SELECT count(*) FROM crm.deal_changes`); n != changesBefore {
		t.Errorf("refused updates recorded %d changes", n-changesBefore)
	}
	if n := len(e.outboxTypes()); n != eventsBefore {
		t.Errorf("refused calls emitted %d events", n-eventsBefore)
	}
	if n := e.count(`SELECT count(*) FROM crm.deal_documents`); n != 0 {
		t.Errorf("refused uploads recorded %d documents", n)
	}
	if stored := files.objects(t); len(stored) != 0 {
		t.Errorf("refused uploads stored %v", stored)
	}
	if n := e.count(`SELECT count(*) FROM crm.deal_stage_history WHERE deal_id = ANY($1::uuid[])`, []string{theirDeal, nobodysDeal}); n != 2 {
		t.Errorf("refused moves recorded: %d history rows, want the 2 creations", n)
	}
	for _, rt := range testkit.Routes(t, e.srv.Router) {
		if strings.HasPrefix(rt.Path, "/api/v1/deals/{id}") && !covered[rt.Method+" "+rt.Path] {
			t.Errorf("deal route %s %s is not in the visibility table", rt.Method, rt.Path)
		}
	}
	for _, c := range dealRoutes(myDeals[0]) {
		var r response
		if c.method == "POST" {
			r = e.upload(c.path, agent, nil, "c.pdf", "application/pdf", pdfFile(1))
		} else {
			r = e.call(c.method, c.path, agent, c.body)
		}
		if r.Status != http.StatusOK && r.Status != http.StatusCreated {
			t.Errorf("agent %s %s on its own deal: %s", c.method, c.path, r)
		}
	}
	if tl := e.dealTimeline(agent, myDeals[0]); len(tl) != 4 { // created, moved, updated, document
		t.Errorf("the agent's deal timeline has %d entries, want 4", len(tl))
	}
	// Creating a deal on a lead it cannot see is refused as for a missing lead.
	expectField(t, e.call(http.MethodPost, "/api/v1/deals", agent, map[string]any{"lead_id": theirs.ID, "title": "x", "value_cents": 1}),
		http.StatusUnprocessableEntity, "lead_id", "deal on another's lead")

	// Other roles keep the whole view.
	for name, u := range map[string]user{"admin": admin, "sales": sales, "agent and sales": mixed} {
		if got := listPaged(u, ""); !slices.Equal(got, everyDeal) {
			t.Errorf("%s lists %v, want all", name, got)
		}
		expect(t, e.call(http.MethodGet, "/api/v1/deals/"+theirDeal+"/timeline", u, nil), http.StatusOK, name+" reads another's deal timeline")
	}

	// The deal follows its lead: reassigned to the agent, it is the agent's.
	expect(t, e.call(http.MethodPost, "/api/v1/leads/"+theirs.ID+"/assign", admin, map[string]any{"user_id": agent.ID}), http.StatusOK, "reassign")
	expect(t, e.call(http.MethodGet, "/api/v1/deals/"+theirDeal, agent, nil), http.StatusOK, "deal of the reassigned lead")
	expect(t, e.call(http.MethodGet, "/api/v1/deals/"+theirDeal, other, nil), http.StatusNotFound, "the previous agent")
	if got := listPaged(agent, ""); len(got) != 6 {
		t.Fatalf("after the reassignment the agent lists %d deals, want 6", len(got))
	}

	// A deal assigned to the agent is the agent's on a lead it does not
	// see; the lead stays hidden.
	r := e.call(http.MethodPost, "/api/v1/deals", admin, map[string]any{"lead_id": nobodys.ID, "title": "Handed over", "value_cents": 5, "assignee_id": agent.ID})
	expect(t, r, http.StatusCreated, "deal assigned to the agent")
	handed := decode[dealJSON](t, r)
	expect(t, e.call(http.MethodGet, "/api/v1/deals/"+handed.ID+"/timeline", agent, nil), http.StatusOK, "its assigned deal")
	expect(t, e.call(http.MethodGet, "/api/v1/leads/"+nobodys.ID, agent, nil), http.StatusNotFound, "the lead of its assigned deal")
	expect(t, e.call(http.MethodGet, "/api/v1/deals/"+handed.ID, other, nil), http.StatusNotFound, "another agent's assigned deal")
	if got := listPaged(agent, ""); len(got) != 7 || !slices.Contains(got, handed.ID) {
		t.Fatalf("with a deal assigned to it the agent lists %v, want 7 with %s", got, handed.ID)
	}
	everyDeal = sortedIDs(append(allDeals, handed.ID)...)

	// Off again: everything is visible.
	expect(t, e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_see_only_assigned": false}), http.StatusOK, "turn it off")
	if got := listPaged(other, ""); !slices.Equal(got, everyDeal) {
		t.Fatalf("setting off again: the other agent lists %v", got)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/deals/"+nobodysDeal+"/documents", other, nil), http.StatusOK, "setting off: nobody's deal")
}
