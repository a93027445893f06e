package tests

import (
	"net/http"
	"slices"
	"testing"
)

// TestAgentsSeeOnlyAssignedLeads: with the setting off every caller sees
// every lead; once an admin turns it on, a caller whose only role is agent
// sees in lists, search, get and timeline only the leads assigned to it —
// any other lead is a 404 on every lead route, writes included — and its
// new unmatched leads are assigned to it; sales, admins and agents holding
// another role keep the whole view. Turning it off restores it.
func TestAgentsSeeOnlyAssignedLeads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.withRoles(org, []string{"admin"}, permsAdmin)
	agent := e.agent(org)
	other := e.agent(org)
	sales := e.withRoles(org, []string{"sales"}, permsSales)
	mixed := e.withRoles(org, []string{"agent", "sales"}, permsSales)

	mine := e.createLead(admin, map[string]any{"first_name": "Visible", "email": "mine@example.com", "assignee_id": agent.ID})
	theirs := e.createLead(admin, map[string]any{"first_name": "Visible", "email": "theirs@example.com", "assignee_id": other.ID})
	nobodys := e.createLead(admin, map[string]any{"first_name": "Visible", "email": "nobody@example.com"})
	everyone := []string{mine.ID, theirs.ID, nobodys.ID}

	listIDs := func(u user) []string {
		t.Helper()
		r := e.call(http.MethodGet, "/api/v1/leads", u, nil)
		expect(t, r, http.StatusOK, "list")
		var ids []string
		for _, l := range decode[listJSON[leadJSON]](t, r).Items {
			ids = append(ids, l.ID)
		}
		slices.Sort(ids)
		return ids
	}
	searchIDs := func(u user) []string {
		t.Helper()
		r := e.call(http.MethodPost, "/api/v1/search/leads", u, map[string]any{"q": "visible"})
		expect(t, r, http.StatusOK, "search")
		var ids []string
		for _, l := range decode[listJSON[leadJSON]](t, r).Items {
			ids = append(ids, l.ID)
		}
		slices.Sort(ids)
		return ids
	}
	all := sortedIDs(everyone...)

	// Off (the default): the agent sees everything.
	if got := listIDs(agent); !slices.Equal(got, all) {
		t.Fatalf("setting off: agent lists %v, want %v", got, all)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/leads/"+theirs.ID, agent, nil), http.StatusOK, "setting off: get another's lead")

	// Only leads:admin changes the setting; anyone who reads leads reads it.
	expect(t, e.call(http.MethodPut, "/api/v1/crm/settings", agent, map[string]any{"agents_see_only_assigned": true}), http.StatusForbidden, "agent turns it on")
	expectField(t, e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_see_only_assigned": "yes"}),
		http.StatusUnprocessableEntity, "agents_see_only_assigned", "not a boolean")
	expectField(t, e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_only": true}),
		http.StatusUnprocessableEntity, "agents_only", "unknown setting")
	r := e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_see_only_assigned": true})
	expect(t, r, http.StatusOK, "admin turns it on")
	type settings struct {
		On        bool    `json:"agents_see_only_assigned"`
		UpdatedAt *string `json:"updated_at"`
	}
	if st := decode[settings](t, r); !st.On || st.UpdatedAt == nil {
		t.Fatalf("settings = %+v", st)
	}
	if st := decode[settings](t, e.call(http.MethodGet, "/api/v1/crm/settings", agent, nil)); !st.On {
		t.Fatal("the agent reads the setting off")
	}
	// Saying the same again changes nothing and emits nothing.
	before := len(e.outboxTypes())
	expect(t, e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_see_only_assigned": true}), http.StatusOK, "again")
	if n := len(e.outboxTypes()) - before; n != 0 {
		t.Fatalf("an unchanged setting emitted %d events", n)
	}
	if n := count(e.outboxTypes(), "reos.crm.settings.updated"); n != 1 {
		t.Fatalf("%d settings.updated events, want 1", n)
	}

	// On: the agent sees its own lead only.
	if got := listIDs(agent); !slices.Equal(got, []string{mine.ID}) {
		t.Fatalf("agent lists %v, want only %s", got, mine.ID)
	}
	if got := searchIDs(agent); !slices.Equal(got, []string{mine.ID}) {
		t.Fatalf("agent searches %v, want only %s", got, mine.ID)
	}
	if got := listIDs(other); !slices.Equal(got, []string{theirs.ID}) {
		t.Fatalf("the other agent lists %v", got)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/leads/"+mine.ID, agent, nil), http.StatusOK, "get own")
	expect(t, e.call(http.MethodGet, "/api/v1/leads/"+mine.ID+"/timeline", agent, nil), http.StatusOK, "own timeline")
	for _, id := range []string{theirs.ID, nobodys.ID} {
		l := "/api/v1/leads/" + id
		for _, c := range []routeCase{
			{"GET", l, nil},
			{"GET", l + "/timeline", nil},
			{"PUT", l, map[string]any{"status": "contacted"}},
			{"POST", l + "/score", nil},
			{"POST", l + "/assign", map[string]any{"user_id": agent.ID}},
			{"POST", l + "/activities", map[string]any{"type": "call", "direction": "out"}},
			{"POST", l + "/notes", map[string]any{"body": "hello"}},
			{"DELETE", l, nil},
		} {
			if r := e.call(c.method, c.path, agent, c.body); r.Status != http.StatusNotFound {
				t.Errorf("agent %s %s on a lead not its own: %s", c.method, c.path, r)
			}
		}
	}
	// Other roles keep the whole view.
	for name, u := range map[string]user{"admin": admin, "sales": sales, "agent and sales": mixed} {
		if got := listIDs(u); !slices.Equal(got, all) {
			t.Errorf("%s lists %v, want all", name, got)
		}
		if got := searchIDs(u); !slices.Equal(got, all) {
			t.Errorf("%s searches %v, want all", name, got)
		}
		expect(t, e.call(http.MethodGet, "/api/v1/leads/"+theirs.ID, u, nil), http.StatusOK, name+" gets another's lead")
	}

	// A lead the agent creates without an assignee (no rule) is its own.
	created := e.createLead(agent, map[string]any{"first_name": "Visible", "email": "walkin@example.com"})
	if created.AssigneeID == nil || *created.AssigneeID != agent.ID {
		t.Fatalf("agent's new lead assignee = %v, want the agent", created.AssigneeID)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/leads/"+created.ID, agent, nil), http.StatusOK, "get the lead it created")
	// Handing a lead to a colleague hides it.
	expect(t, e.call(http.MethodPost, "/api/v1/leads/"+created.ID+"/assign", agent, map[string]any{"user_id": other.ID}), http.StatusOK, "hand over")
	expect(t, e.call(http.MethodGet, "/api/v1/leads/"+created.ID, agent, nil), http.StatusNotFound, "get the handed-over lead")

	// Off again: everything is visible.
	expect(t, e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_see_only_assigned": false}), http.StatusOK, "turn it off")
	if got := listIDs(agent); len(got) != 4 {
		t.Fatalf("setting off again: agent lists %v", got)
	}
}
