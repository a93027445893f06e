package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// assigneeCounts counts the leads of org per assignee ("" unassigned).
func (e *env) assigneeCounts(org string) map[string]int {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), `SELECT coalesce(assignee_id::text, ''), count(*) FROM crm.leads WHERE org_id = $1 GROUP BY 1`, org)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			e.t.Fatal(err)
		}
		out[id] = n
	}
	return out
}

// TestRoundRobinIsFairAndInRotation: a round-robin rule hands 100 leads
// created one after another to the team's agents in the stable rotation
// (sorted ids, starting with the first), so the counts differ by at most
// one; 60 leads created by 20 concurrent clients still go exactly 20 to
// each. Each assignment is in the timeline and in one lead.assigned event
// naming the rule.
func TestRoundRobinIsFairAndInRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	a, b, c := e.user(org, permsAgent), e.user(org, permsAgent), e.user(org, permsAgent)
	rotation := sortedIDs(a.ID, b.ID, c.ID)
	team := e.knownTeam(org, a.ID, b.ID, c.ID)
	rule := e.createRule(admin, map[string]any{"name": "Everyone", "target": map[string]any{"team_id": team}})
	if rule.Position != 10 || !rule.Enabled || rule.Target.TeamID == nil || *rule.Target.TeamID != team || rule.LastAssigneeID != nil {
		t.Fatalf("rule = %+v", rule)
	}

	var got []string
	for i := range 100 {
		l := e.createLead(admin, map[string]any{"email": fmt.Sprintf("rr%d@example.com", i)})
		if l.AssigneeID == nil {
			t.Fatalf("lead %d unassigned", i)
		}
		got = append(got, *l.AssigneeID)
	}
	for i, id := range got {
		if id != rotation[i%3] {
			t.Fatalf("lead %d went to %s, want %s (rotation %v, got %v)", i, id, rotation[i%3], rotation, got[:i+1])
		}
	}
	if n := []int{count(got, rotation[0]), count(got, rotation[1]), count(got, rotation[2])}; !slices.Equal(n, []int{34, 33, 33}) {
		t.Fatalf("counts = %v, want [34 33 33]", n)
	}

	// Concurrent creation: the rule's cursor is advanced under its row lock
	// in each lead's transaction, so the rotation stays exact.
	var wg sync.WaitGroup
	errs := make(chan string, 60)
	for g := range 20 {
		wg.Go(func() {
			for i := range 3 {
				r := e.client.Do(http.MethodPost, "/api/v1/leads", admin.Token, map[string]any{"email": fmt.Sprintf("conc%d-%d@example.com", g, i)})
				if r.Status != http.StatusCreated {
					errs <- r.String()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Fatalf("concurrent create: %s", msg)
	}
	counts := e.assigneeCounts(org)
	for _, id := range rotation {
		// 100 sequential (34/33/33) + 60 concurrent (20 each).
		want := 33 + 20
		if id == rotation[0] {
			want = 34 + 20
		}
		if counts[id] != want {
			t.Fatalf("after concurrent creation counts = %v, want %d for %s", counts, want, id)
		}
	}
	if counts[""] != 0 {
		t.Fatalf("%d leads unassigned", counts[""])
	}

	// The timeline shows the assignment and its rule; the event names it.
	first := decode[listJSON[leadJSON]](t, e.call(http.MethodGet, "/api/v1/leads?sort=created_at&limit=1", admin, nil)).Items[0]
	tl := decode[listJSON[timelineJSON]](t, e.call(http.MethodGet, "/api/v1/leads/"+first.ID+"/timeline", admin, nil))
	var assigned *timelineJSON
	for i := range tl.Items {
		if tl.Items[i].Kind == "assigned" {
			assigned = &tl.Items[i]
		}
	}
	if assigned == nil {
		t.Fatalf("no assigned entry in %+v", tl.Items)
	}
	var data struct {
		From   *string `json:"from"`
		To     string  `json:"to"`
		RuleID string  `json:"rule_id"`
	}
	if err := json.Unmarshal(assigned.Data, &data); err != nil || data.From != nil || data.To != rotation[0] || data.RuleID != rule.ID {
		t.Fatalf("assigned entry = %s (%v)", assigned.Data, err)
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.outbox WHERE payload::jsonb->>'type' = 'reos.crm.lead.assigned'
AND payload::jsonb->'data'->>'rule_id' = $1`, rule.ID); n != 160 {
		t.Fatalf("%d lead.assigned events naming the rule, want 160", n)
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.outbox WHERE payload::jsonb->>'type' = 'reos.crm.lead.created'`); n != 160 {
		t.Fatalf("%d lead.created events, want 160", n)
	}
}

// TestRulesMatchPostalCodePriceBandAndSource: the first enabled rule by
// position whose every condition holds assigns; disabled rules are skipped;
// an explicit assignee wins over every rule; no matching rule leaves the
// lead unassigned.
func TestRulesMatchPostalCodePriceBandAndSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	downtown, luxury, referrals, idle, explicit := e.user(org, permsAgent), e.user(org, permsAgent), e.user(org, permsAgent), e.user(org, permsAgent), e.user(org, permsAgent)
	sources := decode[listJSON[struct{ ID, Key string }]](t, e.call(http.MethodGet, "/api/v1/lead-sources", admin, nil)).Items
	var referral string
	for _, s := range sources {
		if s.Key == "referral" {
			referral = s.ID
		}
	}
	// Created out of order: evaluation follows position.
	e.createRule(admin, map[string]any{"name": "Referrals", "position": 30,
		"match": map[string]any{"source_ids": []string{referral}}, "target": map[string]any{"user_id": referrals.ID}})
	e.createRule(admin, map[string]any{"name": "Downtown", "position": 10,
		"match": map[string]any{"postal_codes": []string{"sw1a 1aa"}, "postal_code_prefixes": []string{"941"}}, "target": map[string]any{"user_id": downtown.ID}})
	e.createRule(admin, map[string]any{"name": "Luxury", "position": 20,
		"match": map[string]any{"min_price_cents": 100_000_000, "max_price_cents": 500_000_000}, "target": map[string]any{"user_id": luxury.ID}})
	e.createRule(admin, map[string]any{"name": "Paused", "position": 5, "enabled": false, "target": map[string]any{"user_id": idle.ID}})

	rules := decode[listJSON[ruleJSON]](t, e.call(http.MethodGet, "/api/v1/assignment-rules", admin, nil)).Items
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"Paused", "Downtown", "Luxury", "Referrals"}) {
		t.Fatalf("rule order = %v", names)
	}
	if !slices.Equal(rules[1].Match.PostalCodes, []string{"SW1A1AA"}) || !slices.Equal(rules[1].Match.PostalCodePrefixes, []string{"941"}) {
		t.Fatalf("postal codes not normalised: %+v", rules[1].Match)
	}

	tests := []struct {
		name string
		body map[string]any
		want string
	}{
		{"postal prefix, a ZIP+4", map[string]any{"postal_code": "94103-1234"}, downtown.ID},
		{"exact postal code, other spelling", map[string]any{"postal_code": "SW1A-1AA"}, downtown.ID},
		{"postal wins over price by position", map[string]any{"postal_code": "94110", "target_price_cents": 200_000_000}, downtown.ID},
		{"price band by target price", map[string]any{"postal_code": "10001", "target_price_cents": 200_000_000}, luxury.ID},
		{"price band by the budget's top", map[string]any{"budget_min_cents": 1, "budget_max_cents": 500_000_000}, luxury.ID},
		{"above the band", map[string]any{"target_price_cents": 500_000_001}, ""},
		{"source", map[string]any{"source": "referral"}, referrals.ID},
		{"other source", map[string]any{"source": "website"}, ""},
		{"nothing matches", map[string]any{"postal_code": "10001"}, ""},
		{"explicit assignee wins", map[string]any{"postal_code": "94103", "assignee_id": explicit.ID}, explicit.ID},
	}
	assignedCases := 0
	for i, tc := range tests {
		if tc.want != "" {
			assignedCases++
		}
		body := tc.body
		body["email"] = fmt.Sprintf("m%d@example.com", i)
		l := e.createLead(admin, body)
		got := ""
		if l.AssigneeID != nil {
			got = *l.AssigneeID
		}
		if got != tc.want {
			t.Errorf("%s: assignee %q, want %q", tc.name, got, tc.want)
		}
	}
	// An unassigned lead leaves no assignment in the timeline or the outbox:
	// one of each per case that assigns.
	if n := scalar[int](e, `SELECT count(*) FROM crm.lead_changes WHERE kind = 'assigned'`); n != assignedCases {
		t.Errorf("%d assigned entries, want %d", n, assignedCases)
	}
	if n := scalar[int](e, `SELECT count(*) FROM crm.outbox WHERE payload::jsonb->>'type' = 'reos.crm.lead.assigned'`); n != assignedCases {
		t.Errorf("%d lead.assigned events, want %d", n, assignedCases)
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.outbox WHERE payload::jsonb->>'type' = 'reos.crm.lead.assigned'
AND payload::jsonb->'data'->>'rule_id' IS NULL`); n != 1 {
		t.Errorf("%d explicit lead.assigned events, want 1", n)
	}
}

// TestRulesSkipInactiveTargets: a rule whose user identity deleted, or
// whose team has no active member, does not assign; the next rule does.
// Round-robin skips deleted members and members who left the team.
func TestRulesSkipInactiveTargets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	gone, fallback := e.user(org, permsAgent), e.user(org, permsAgent)
	a, b, c := e.user(org, permsAgent), e.user(org, permsAgent), e.user(org, permsAgent)
	team := e.knownTeam(org, a.ID, b.ID, c.ID)
	ghosts := e.knownTeam(org, gone.ID)
	e.createRule(admin, map[string]any{"name": "Gone", "match": map[string]any{"postal_codes": []string{"1"}}, "target": map[string]any{"user_id": gone.ID}})
	e.createRule(admin, map[string]any{"name": "Ghosts", "match": map[string]any{"postal_codes": []string{"1", "2"}}, "target": map[string]any{"team_id": ghosts}})
	e.createRule(admin, map[string]any{"name": "Team", "match": map[string]any{"postal_codes": []string{"3"}}, "target": map[string]any{"team_id": team}})
	e.createRule(admin, map[string]any{"name": "Fallback", "target": map[string]any{"user_id": fallback.ID}})

	// identity deletes gone (the consumer marks it inactive).
	e.knownUser(org, gone.ID, false)
	for i, code := range []string{"1", "2"} {
		if l := e.createLead(admin, map[string]any{"email": fmt.Sprintf("f%d@example.com", i), "postal_code": code}); l.AssigneeID == nil || *l.AssigneeID != fallback.ID {
			t.Fatalf("postal %s: assignee %v, want the fallback %s", code, l.AssigneeID, fallback.ID)
		}
	}

	// b is deleted, c leaves the team: a gets every lead.
	rotation := sortedIDs(a.ID, b.ID, c.ID)
	e.knownUser(org, b.ID, false)
	if _, err := e.admin.Exec(t.Context(), `DELETE FROM crm.known_team_members WHERE team_id = $1 AND user_id = $2`, team, c.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		l := e.createLead(admin, map[string]any{"email": fmt.Sprintf("t%d@example.com", i), "postal_code": "3"})
		if l.AssigneeID == nil || *l.AssigneeID != a.ID {
			t.Fatalf("lead %d: assignee %v, want the only active member %s", i, l.AssigneeID, a.ID)
		}
	}
	// b comes back into the rotation's order, after a when its id sorts
	// after a's.
	e.knownUser(org, b.ID, true)
	var got []string
	for i := range 4 {
		got = append(got, *e.createLead(admin, map[string]any{"email": fmt.Sprintf("u%d@example.com", i), "postal_code": "3"}).AssigneeID)
	}
	var ab []string
	for _, id := range rotation {
		if id == a.ID || id == b.ID {
			ab = append(ab, id)
		}
	}
	// The cursor is on a: the next turn is the member after a, wrapping.
	next := ab[0]
	if ab[0] == a.ID {
		next = ab[1]
	}
	other := a.ID
	if next == a.ID {
		other = b.ID
	}
	if want := []string{next, other, next, other}; !slices.Equal(got, want) {
		t.Fatalf("rotation after b returns = %v, want %v", got, want)
	}
}

// TestAssigneeMustBeAnActiveUserOfTheOrg: on create, update and assign an
// assignee that is unknown, deleted or another organisation's user is a 422
// naming the field; null unassigns; an unchanged assignee is not checked
// again.
func TestAssigneeMustBeAnActiveUserOfTheOrg(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	agent := e.user(org, permsAgent)
	colleague := e.user(org, permsAgent)
	foreign := e.user(newOrg(), permsAgent)
	deleted := e.user(org, permsAgent)
	e.knownUser(org, deleted.ID, false)
	unknown := uuid.NewString()

	bad := map[string]string{"another org's": foreign.ID, "deleted": deleted.ID, "unknown": unknown}
	for name, id := range bad {
		expectField(t, e.call(http.MethodPost, "/api/v1/leads", agent, map[string]any{"email": "a@example.com", "assignee_id": id}),
			http.StatusUnprocessableEntity, "assignee_id", "create with an "+name+" assignee")
	}
	expectField(t, e.call(http.MethodPost, "/api/v1/leads", agent, map[string]any{"email": "a@example.com", "assignee_id": "bob"}),
		http.StatusUnprocessableEntity, "assignee_id", "create with a malformed assignee")
	if n := scalar[int64](e, `SELECT count(*) FROM crm.leads WHERE org_id = $1`, org); n != 0 {
		t.Fatalf("%d leads after refused creates", n)
	}

	l := e.createLead(agent, map[string]any{"email": "a@example.com", "assignee_id": colleague.ID})
	for name, id := range bad {
		expectField(t, e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, map[string]any{"assignee_id": id}),
			http.StatusUnprocessableEntity, "assignee_id", "update to an "+name+" assignee")
		expectField(t, e.call(http.MethodPost, "/api/v1/leads/"+l.ID+"/assign", agent, map[string]any{"user_id": id}),
			http.StatusUnprocessableEntity, "user_id", "assign to an "+name+" user")
	}
	if got := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+l.ID, agent, nil)); got.AssigneeID == nil || *got.AssigneeID != colleague.ID {
		t.Fatalf("refused changes moved the lead: %+v", got)
	}
	// The colleague leaves; the lead keeps them and other changes still work.
	e.knownUser(org, colleague.ID, false)
	r := e.call(http.MethodPut, "/api/v1/leads/"+l.ID, agent, map[string]any{"status": "contacted", "assignee_id": colleague.ID})
	expect(t, r, http.StatusOK, "update with the unchanged, now inactive assignee")
	expect(t, e.call(http.MethodPost, "/api/v1/leads/"+l.ID+"/assign", agent, map[string]any{"user_id": nil}), http.StatusOK, "unassign")
	r = e.call(http.MethodPost, "/api/v1/leads/"+l.ID+"/assign", agent, map[string]any{"user_id": agent.ID})
	expect(t, r, http.StatusOK, "assign to an active user")
	if got := decode[leadJSON](t, r); got.AssigneeID == nil || *got.AssigneeID != agent.ID {
		t.Fatalf("assigned = %+v", got)
	}

	// A deal's assignee_id is checked the same way.
	for name, id := range bad {
		expectField(t, e.call(http.MethodPost, "/api/v1/deals", agent, map[string]any{"lead_id": l.ID, "title": "D", "value_cents": 1, "assignee_id": id}),
			http.StatusUnprocessableEntity, "assignee_id", "deal for an "+name+" assignee")
	}
	r = e.call(http.MethodPost, "/api/v1/deals", agent, map[string]any{"lead_id": l.ID, "title": "D", "value_cents": 1, "assignee_id": agent.ID})
	expect(t, r, http.StatusCreated, "deal with an active assignee")
	deal := decode[dealJSON](t, r)
	expectField(t, e.call(http.MethodPut, "/api/v1/deals/"+deal.ID, agent, map[string]any{"assignee_id": unknown}),
		http.StatusUnprocessableEntity, "assignee_id", "deal reassigned to an unknown user")
	expect(t, e.call(http.MethodPut, "/api/v1/deals/"+deal.ID, agent, map[string]any{"assignee_id": nil}), http.StatusOK, "deal unassigned")
}

// TestAssignmentRulesAPI: creation checks its fields and references (422
// naming each), updates change what is given, a new target restarts the
// rotation, deletion is final, every change emits one event, and only
// leads:admin may write rules while leads:read may list them.
func TestAssignmentRulesAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	manager := e.user(org, []string{"leads:read", "leads:write", "leads:admin"})
	agent := e.user(org, permsAgent)
	member := e.user(org, permsAgent)
	team := e.knownTeam(org, member.ID)
	deletedTeam := e.knownTeam(org)
	if _, err := e.admin.Exec(t.Context(), `UPDATE crm.known_teams SET deleted = true WHERE team_id = $1`, deletedTeam); err != nil {
		t.Fatal(err)
	}
	foreignUser := e.user(newOrg(), permsAgent)

	bad := []struct {
		name  string
		body  any
		field string
	}{
		{"no target", map[string]any{"name": "x"}, "target"},
		{"both targets", map[string]any{"name": "x", "target": map[string]any{"user_id": agent.ID, "team_id": team}}, "target"},
		{"empty target", map[string]any{"name": "x", "target": map[string]any{}}, "target"},
		{"no name", map[string]any{"target": map[string]any{"user_id": agent.ID}}, "name"},
		{"another org's user", map[string]any{"name": "x", "target": map[string]any{"user_id": foreignUser.ID}}, "target.user_id"},
		{"malformed user", map[string]any{"name": "x", "target": map[string]any{"user_id": "bob"}}, "target.user_id"},
		{"unknown team", map[string]any{"name": "x", "target": map[string]any{"team_id": uuid.NewString()}}, "target.team_id"},
		{"deleted team", map[string]any{"name": "x", "target": map[string]any{"team_id": deletedTeam}}, "target.team_id"},
		{"bad postal code", map[string]any{"name": "x", "target": map[string]any{"user_id": agent.ID}, "match": map[string]any{"postal_codes": []string{"94103; DROP"}}}, "match.postal_codes"},
		{"misspelt condition", map[string]any{"name": "x", "target": map[string]any{"user_id": agent.ID}, "match": map[string]any{"postal_code": []string{"94103"}}}, "postal_code"},
		{"inverted price band", map[string]any{"name": "x", "target": map[string]any{"user_id": agent.ID}, "match": map[string]any{"min_price_cents": 2, "max_price_cents": 1}}, "match.max_price_cents"},
		{"negative price", map[string]any{"name": "x", "target": map[string]any{"user_id": agent.ID}, "match": map[string]any{"min_price_cents": -1}}, "match.min_price_cents"},
		{"unknown source", map[string]any{"name": "x", "target": map[string]any{"user_id": agent.ID}, "match": map[string]any{"source_ids": []string{uuid.NewString()}}}, "match.source_ids"},
		{"negative position", map[string]any{"name": "x", "position": -1, "target": map[string]any{"user_id": agent.ID}}, "position"},
	}
	for _, tc := range bad {
		expectField(t, e.call(http.MethodPost, "/api/v1/assignment-rules", admin, tc.body), http.StatusUnprocessableEntity, tc.field, tc.name)
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.assignment_rules`); n != 0 {
		t.Fatalf("%d rules after refused creates", n)
	}

	// Only leads:admin writes; leads:read lists.
	body := map[string]any{"name": "Team", "target": map[string]any{"team_id": team}}
	expect(t, e.call(http.MethodPost, "/api/v1/assignment-rules", agent, body), http.StatusForbidden, "agent creates a rule")
	rr := e.createRule(manager, body)
	single := e.createRule(admin, map[string]any{"name": "Single", "target": map[string]any{"user_id": agent.ID}})
	if single.Position != rr.Position+10 {
		t.Fatalf("appended position = %d after %d", single.Position, rr.Position)
	}
	expect(t, e.call(http.MethodPut, "/api/v1/assignment-rules/"+rr.ID, agent, map[string]any{"name": "x"}), http.StatusForbidden, "agent updates")
	expect(t, e.call(http.MethodDelete, "/api/v1/assignment-rules/"+rr.ID, agent, nil), http.StatusForbidden, "agent deletes")
	if l := decode[listJSON[ruleJSON]](t, e.call(http.MethodGet, "/api/v1/assignment-rules", agent, nil)); len(l.Items) != 2 || l.NextCursor != nil {
		t.Fatalf("agent's list = %+v", l)
	}

	// The round-robin rule takes a lead: its cursor moves.
	e.createLead(admin, map[string]any{"email": "rr@example.com"})
	rules := decode[listJSON[ruleJSON]](t, e.call(http.MethodGet, "/api/v1/assignment-rules", admin, nil)).Items
	if rules[0].LastAssigneeID == nil || *rules[0].LastAssigneeID != member.ID {
		t.Fatalf("cursor after one lead = %+v", rules[0])
	}

	// A partial update keeps the rest; an unchanged one emits nothing.
	r := e.call(http.MethodPut, "/api/v1/assignment-rules/"+rr.ID, admin, map[string]any{"name": "Team A", "match": map[string]any{"postal_code_prefixes": []string{"9"}}})
	expect(t, r, http.StatusOK, "rename")
	got := decode[ruleJSON](t, r)
	if got.Name != "Team A" || got.Target.TeamID == nil || *got.Target.TeamID != team || got.LastAssigneeID == nil || !slices.Equal(got.Match.PostalCodePrefixes, []string{"9"}) {
		t.Fatalf("after rename = %+v", got)
	}
	before := len(e.outboxTypes())
	expect(t, e.call(http.MethodPut, "/api/v1/assignment-rules/"+rr.ID, admin, map[string]any{"name": "Team A"}), http.StatusOK, "same name")
	if n := len(e.outboxTypes()); n != before {
		t.Fatalf("an update that changes nothing emitted %d events", n-before)
	}
	expectField(t, e.call(http.MethodPut, "/api/v1/assignment-rules/"+rr.ID, admin, map[string]any{"target": map[string]any{"team_id": deletedTeam}}),
		http.StatusUnprocessableEntity, "target.team_id", "retarget to a deleted team")
	// A new target restarts the rotation; {} clears the conditions.
	r = e.call(http.MethodPut, "/api/v1/assignment-rules/"+rr.ID, admin, map[string]any{"target": map[string]any{"user_id": member.ID}, "match": map[string]any{}})
	expect(t, r, http.StatusOK, "retarget")
	if got := decode[ruleJSON](t, r); got.LastAssigneeID != nil || got.Target.TeamID != nil || len(got.Match.PostalCodePrefixes) != 0 {
		t.Fatalf("after retarget = %+v", got)
	}

	expect(t, e.call(http.MethodDelete, "/api/v1/assignment-rules/"+rr.ID, manager, nil), http.StatusNoContent, "delete")
	expect(t, e.call(http.MethodDelete, "/api/v1/assignment-rules/"+rr.ID, manager, nil), http.StatusNotFound, "delete again")
	expect(t, e.call(http.MethodPut, "/api/v1/assignment-rules/"+rr.ID, manager, map[string]any{"name": "x"}), http.StatusNotFound, "update deleted")
	expect(t, e.call(http.MethodPut, "/api/v1/assignment-rules/not-a-uuid", manager, map[string]any{"name": "x"}), http.StatusNotFound, "malformed id")

	var ruleEvents []string
	for _, typ := range e.outboxTypes() {
		if len(typ) > 25 && typ[:25] == "reos.crm.assignment_rule." {
			ruleEvents = append(ruleEvents, typ[25:])
		}
	}
	if want := []string{"created", "created", "updated", "updated", "deleted"}; !slices.Equal(ruleEvents, want) {
		t.Fatalf("rule events = %v, want %v", ruleEvents, want)
	}
}
