package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// crmAssignmentScenarios: users and a team made in identity reach crm's
// read model through the broker; a round-robin rule over the team assigns
// new leads in turn; an activity is rescored by crm's background job and
// the new score shows on the lead; with agents_see_only_assigned on, an
// agent reads and edits the contact of its own lead but not another
// agent's, and lists neither it nor any other hidden contact. Everything
// through nginx and the gateway.
func crmAssignmentScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	var agents, agentEmails []string
	const agentPassword = "agent password 123"
	for i := range 2 {
		email := strings.ToLower(testkit.UniqueName(t, fmt.Sprintf("agent%d", i))) + "@example.test"
		r := do(t, http.MethodPost, api+"/admin/users", a.admin, map[string]any{
			"email": email, "password": agentPassword, "full_name": fmt.Sprintf("E2E Agent %d", i), "roles": []string{"agent"},
		})
		expectStatus(t, r, http.StatusCreated, "admin creates an agent")
		var u struct{ ID string }
		r.json(t, &u)
		agents, agentEmails = append(agents, u.ID), append(agentEmails, email)
	}
	r := do(t, http.MethodPost, api+"/teams", a.admin, map[string]string{"name": testkit.UniqueName(t, "Round robin")})
	expectStatus(t, r, http.StatusCreated, "create team")
	var team struct{ ID string }
	r.json(t, &team)
	for _, id := range agents {
		expectStatus(t, do(t, http.MethodPost, api+"/teams/"+team.ID+"/members", a.admin, map[string]string{"user_id": id}), http.StatusOK, "add member")
	}

	// crm learns users and teams from identity's events: eventually.
	r = do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{"first_name": "Probe"})
	expectStatus(t, r, http.StatusCreated, "probe lead")
	var probe struct{ ID string }
	r.json(t, &probe)
	for _, id := range agents {
		untilStatus(t, "assign to an agent made in identity", http.StatusOK, func() response {
			return do(t, http.MethodPost, api+"/leads/"+probe.ID+"/assign", a.admin, map[string]any{"user_id": id})
		})
	}
	expectFieldError(t, do(t, http.MethodPost, api+"/leads/"+probe.ID+"/assign", a.admin,
		map[string]any{"user_id": "01900000-0000-7000-8000-00000000dead"}), "user_id", "assign to a user identity never made")

	// A rule for this scenario's postal area only, so other scenarios'
	// leads stay unassigned.
	area := fmt.Sprintf("Q%09d", time.Now().UnixNano()%1_000_000_000)
	r = untilStatus(t, "create a round-robin rule over the team", http.StatusCreated, func() response {
		return do(t, http.MethodPost, api+"/assignment-rules", a.admin, map[string]any{
			"name": "E2E round robin", "match": map[string]any{"postal_code_prefixes": []string{area}},
			"target": map[string]any{"team_id": team.ID},
		})
	})
	var rule struct{ ID string }
	r.json(t, &rule)
	defer func() {
		expectStatus(t, do(t, http.MethodDelete, api+"/assignment-rules/"+rule.ID, a.admin, nil), http.StatusNoContent, "delete the rule")
	}()
	expectStatus(t, do(t, http.MethodPost, api+"/assignment-rules", a.viewer, map[string]any{
		"name": "x", "target": map[string]any{"team_id": team.ID},
	}), http.StatusForbidden, "viewer creates a rule")

	type lead struct {
		ID         string  `json:"id"`
		AssigneeID *string `json:"assignee_id"`
		Score      *int    `json:"score"`
	}
	n := 0
	newLead := func() lead {
		t.Helper()
		n++
		r := do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{
			"first_name": fmt.Sprintf("Routed %d", n), "postal_code": area + "-1", "source": "referral",
		})
		expectStatus(t, r, http.StatusCreated, "create a routed lead")
		var l lead
		r.json(t, &l)
		if l.AssigneeID == nil || !slices.Contains(agents, *l.AssigneeID) {
			t.Fatalf("routed lead assignee = %v, want one of %v", l.AssigneeID, agents)
		}
		return l
	}

	t.Run("round robin alternates between the team's agents", func(t *testing.T) {
		// A membership may reach crm a moment after another: until then
		// the team has fewer agents.
		first := newLead()
		seen := map[string]bool{*first.AssigneeID: true}
		testkit.Eventually(t, eventTimeout, func() bool {
			seen[*newLead().AssigneeID] = true
			return len(seen) == len(agents)
		}, func() string {
			return fmt.Sprintf("leads went only to %v of %v: not every agent joined the rotation", seen, agents)
		})
		// Every agent is in the rotation now: strict turns, each agent once
		// a round, the same order every round.
		var got []string
		for range 2 * len(agents) {
			got = append(got, *newLead().AssigneeID)
		}
		round := got[:len(agents)]
		if !slices.Equal(slices.Sorted(slices.Values(round)), slices.Sorted(slices.Values(agents))) || !slices.Equal(got[len(agents):], round) {
			t.Fatalf("assignees %v do not take turns over %v", got, agents)
		}
		// The timeline names the rule.
		r := do(t, http.MethodGet, api+"/leads/"+first.ID+"/timeline", a.viewer, nil)
		expectStatus(t, r, http.StatusOK, "timeline")
		if !strings.Contains(string(r.Body), `"rule_id":"`+rule.ID+`"`) {
			t.Fatalf("timeline does not name the rule: %s", r.Body)
		}
	})

	t.Run("an activity is rescored in the background", func(t *testing.T) {
		l := newLead()
		if l.Score == nil {
			t.Fatalf("new lead has no score: %+v", l)
		}
		initial := *l.Score
		expectStatus(t, do(t, http.MethodPost, api+"/leads/"+l.ID+"/activities", a.admin,
			map[string]any{"type": "call", "direction": "in", "outcome": "interested"}), http.StatusCreated, "log activity")
		var got lead
		testkit.Eventually(t, eventTimeout, func() bool {
			r := do(t, http.MethodGet, api+"/leads/"+l.ID, a.viewer, nil)
			expectStatus(t, r, http.StatusOK, "get lead")
			r.json(t, &got)
			return got.Score != nil && *got.Score != initial
		}, "score still %d %s after the activity", initial, eventTimeout)
		// Recency (25), one activity of ten (2) and an inbound call (10).
		if *got.Score != initial+37 {
			t.Fatalf("score %d → %d, want +37", initial, *got.Score)
		}
		r := do(t, http.MethodGet, api+"/jobs/crm?kind=crm.lead_rescore&state=completed", a.admin, nil)
		expectStatus(t, r, http.StatusOK, "rescore jobs")
		if !strings.Contains(string(r.Body), l.ID) {
			t.Fatalf("no completed rescore job for %s: %s", l.ID, r.Body)
		}
	})

	t.Run("an agent sees only the contacts of its own leads", func(t *testing.T) {
		me := login(t, s, agentEmails[0], agentPassword)
		type contact struct {
			ID       string `json:"id"`
			LastName string `json:"last_name"`
		}
		type lead struct {
			ID      string  `json:"id"`
			Contact contact `json:"contact"`
		}
		leadOf := func(agent, name string) lead {
			t.Helper()
			r := do(t, http.MethodPost, api+"/leads", a.admin, map[string]any{
				"first_name": "Scoped", "last_name": name, "email": strings.ToLower(testkit.UniqueName(t, name)) + "@example.com", "assignee_id": agent,
			})
			expectStatus(t, r, http.StatusCreated, "lead of "+name)
			var l lead
			r.json(t, &l)
			return l
		}
		mine, theirs := leadOf(agents[0], "mine"), leadOf(agents[1], "theirs")
		setting := func(on bool) {
			t.Helper()
			expectStatus(t, do(t, http.MethodPut, api+"/crm/settings", a.admin, map[string]any{"agents_see_only_assigned": on}),
				http.StatusOK, fmt.Sprintf("agents_see_only_assigned=%v", on))
		}
		listed := func() []string {
			t.Helper()
			var ids []string
			path := api + "/contacts?limit=100"
			for {
				r := do(t, http.MethodGet, path, me, nil)
				expectStatus(t, r, http.StatusOK, "list contacts")
				var p struct {
					Items      []contact `json:"items"`
					NextCursor *string   `json:"next_cursor"`
				}
				r.json(t, &p)
				for _, c := range p.Items {
					ids = append(ids, c.ID)
				}
				if p.NextCursor == nil {
					return ids
				}
				path = api + "/contacts?limit=100&cursor=" + *p.NextCursor
			}
		}
		setting(true)
		defer setting(false) // the organisation is shared with later scenarios

		theirContact := api + "/contacts/" + theirs.Contact.ID
		expectStatus(t, do(t, http.MethodGet, api+"/leads/"+theirs.ID, me, nil), http.StatusNotFound, "another agent's lead")
		expectStatus(t, do(t, http.MethodGet, theirContact, me, nil), http.StatusNotFound, "another agent's lead's contact")
		expectStatus(t, do(t, http.MethodPut, theirContact, me, map[string]any{"last_name": "Edited"}), http.StatusNotFound,
			"edit another agent's lead's contact")
		expectStatus(t, do(t, http.MethodGet, api+"/contacts/"+mine.Contact.ID, me, nil), http.StatusOK, "its own lead's contact")
		expectStatus(t, do(t, http.MethodPut, api+"/contacts/"+mine.Contact.ID, me, map[string]any{"last_name": "Edited"}), http.StatusOK,
			"edit its own lead's contact")
		// Exactly the people of its leads (the round-robin ones included).
		r := do(t, http.MethodGet, api+"/leads?limit=100&assignee_id="+agents[0], a.admin, nil)
		expectStatus(t, r, http.StatusOK, "the agent's leads")
		var its struct{ Items []lead }
		r.json(t, &its)
		var want []string
		for _, l := range its.Items {
			want = append(want, l.Contact.ID)
		}
		got := listed()
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, slices.Compact(want)) || !slices.Contains(got, mine.Contact.ID) {
			t.Fatalf("the agent lists contacts %v, want its leads' %v", got, want)
		}
		r = do(t, http.MethodGet, theirContact, a.admin, nil)
		expectStatus(t, r, http.StatusOK, "the admin reads it")
		var c contact
		r.json(t, &c)
		if c.LastName != "theirs" {
			t.Fatalf("the refused edit changed the contact: %+v", c)
		}

		setting(false)
		expectStatus(t, do(t, http.MethodGet, theirContact, me, nil), http.StatusOK, "setting off: another agent's lead's contact")
		if ids := listed(); !slices.Contains(ids, theirs.Contact.ID) {
			t.Fatalf("setting off, the agent's contacts %v lack %s", ids, theirs.Contact.ID)
		}
	})
}
