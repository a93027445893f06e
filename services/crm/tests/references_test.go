package tests

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// TestBodyReferencesAreTheCallersOrgs: every id a request body carries
// names a row of the caller's organisation — a lead, contact, lead source,
// deal stage, active user, team or known property — or the request is a
// 422 naming the field, whether the id is another organisation's or no
// row's at all; nothing is written. (Filters of a list or search are not
// references: an id there that names nothing matches nothing.)
func TestBodyReferencesAreTheCallersOrgs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, elsewhere := newOrg(), newOrg()
	admin := e.withRoles(org, []string{"admin"}, permsAdmin)
	lead := e.createLead(admin, map[string]any{"email": "ours@example.com"})
	deal := e.createDeal(admin, lead.ID, 1_000)
	rule := e.createRule(admin, map[string]any{"name": "Ours", "match": map[string]any{"postal_codes": []string{"00000"}},
		"target": map[string]any{"user_id": admin.ID}})

	// The other organisation's rows of every kind.
	them := e.withRoles(elsewhere, []string{"admin"}, permsAdmin)
	theirLead := e.createLead(them, map[string]any{"email": "theirs@example.com"})
	theirs := map[string]string{
		"lead": theirLead.ID, "contact": theirLead.Contact.ID, "user": them.ID,
		"team": e.knownTeam(elsewhere, them.ID), "property": e.knownProperty(elsewhere, false),
		"source": decode[listJSON[struct{ ID string }]](t, e.call(http.MethodGet, "/api/v1/lead-sources", them, nil)).Items[0].ID,
		"stage":  e.stages(them)["qualified"].ID,
	}

	l, d, r := "/api/v1/leads/"+lead.ID, "/api/v1/deals/"+deal.ID, "/api/v1/assignment-rules/"+rule.ID
	newDeal := func(extra map[string]any) map[string]any {
		b := map[string]any{"lead_id": lead.ID, "title": "Purchase", "value_cents": 1}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		method, path, kind, field string
		body                      func(id string) map[string]any
	}{
		{"POST", "/api/v1/leads", "contact", "contact_id", func(id string) map[string]any { return map[string]any{"contact_id": id} }},
		{"POST", "/api/v1/leads", "source", "source_id", func(id string) map[string]any { return map[string]any{"email": "a@example.com", "source_id": id} }},
		{"POST", "/api/v1/leads", "user", "assignee_id", func(id string) map[string]any { return map[string]any{"email": "b@example.com", "assignee_id": id} }},
		{"POST", "/api/v1/leads", "property", "property_ids", func(id string) map[string]any {
			return map[string]any{"email": "c@example.com", "property_ids": []string{id}}
		}},
		{"PUT", l, "source", "source_id", func(id string) map[string]any { return map[string]any{"source_id": id} }},
		{"PUT", l, "user", "assignee_id", func(id string) map[string]any { return map[string]any{"assignee_id": id} }},
		{"PUT", l, "property", "property_ids", func(id string) map[string]any { return map[string]any{"property_ids": []string{id}} }},
		{"POST", l + "/assign", "user", "user_id", func(id string) map[string]any { return map[string]any{"user_id": id} }},
		{"POST", "/api/v1/deals", "lead", "lead_id", func(id string) map[string]any { return newDeal(map[string]any{"lead_id": id}) }},
		{"POST", "/api/v1/deals", "stage", "stage_id", func(id string) map[string]any { return newDeal(map[string]any{"stage_id": id}) }},
		{"POST", "/api/v1/deals", "property", "property_id", func(id string) map[string]any { return newDeal(map[string]any{"property_id": id}) }},
		{"POST", "/api/v1/deals", "user", "assignee_id", func(id string) map[string]any { return newDeal(map[string]any{"assignee_id": id}) }},
		{"PUT", d, "property", "property_id", func(id string) map[string]any { return map[string]any{"property_id": id} }},
		{"PUT", d, "user", "assignee_id", func(id string) map[string]any { return map[string]any{"assignee_id": id} }},
		{"PATCH", d + "/stage", "stage", "stage_id", func(id string) map[string]any { return map[string]any{"stage_id": id} }},
		{"POST", "/api/v1/assignment-rules", "user", "target.user_id", func(id string) map[string]any {
			return map[string]any{"name": "X", "target": map[string]any{"user_id": id}}
		}},
		{"POST", "/api/v1/assignment-rules", "team", "target.team_id", func(id string) map[string]any {
			return map[string]any{"name": "X", "target": map[string]any{"team_id": id}}
		}},
		{"POST", "/api/v1/assignment-rules", "source", "match.source_ids", func(id string) map[string]any {
			return map[string]any{"name": "X", "match": map[string]any{"source_ids": []string{id}}, "target": map[string]any{"user_id": admin.ID}}
		}},
		{"PUT", r, "user", "target.user_id", func(id string) map[string]any { return map[string]any{"target": map[string]any{"user_id": id}} }},
		{"PUT", r, "team", "target.team_id", func(id string) map[string]any { return map[string]any{"target": map[string]any{"team_id": id}} }},
		{"PUT", r, "source", "match.source_ids", func(id string) map[string]any {
			return map[string]any{"match": map[string]any{"source_ids": []string{id}}}
		}},
	}
	before := len(e.outboxTypes())
	for _, c := range cases {
		for what, id := range map[string]string{"another organisation's " + c.kind: theirs[c.kind], "no " + c.kind: uuid.NewString()} {
			expectField(t, e.call(c.method, c.path, admin, c.body(id)), http.StatusUnprocessableEntity, c.field,
				c.method+" "+c.path+" "+c.field+" naming "+what)
		}
	}
	if n := len(e.outboxTypes()) - before; n != 0 {
		t.Errorf("refused references emitted %d events", n)
	}

	// A property of the organisation is accepted on a deal, and one
	// archived since stays on it (and may be sent back unchanged), but a
	// deal cannot take an archived one.
	ours, archived := e.knownProperty(org, false), e.knownProperty(org, true)
	res := e.call(http.MethodPost, "/api/v1/deals", admin, newDeal(map[string]any{"property_id": ours}))
	expect(t, res, http.StatusCreated, "deal on a known property")
	withProperty := decode[dealJSON](t, res)
	expectField(t, e.call(http.MethodPut, d, admin, map[string]any{"property_id": archived}), http.StatusUnprocessableEntity, "property_id",
		"an archived property")
	if _, err := e.admin.Exec(t.Context(), `UPDATE crm.known_properties SET archived = true WHERE property_id = $1`, ours); err != nil {
		t.Fatal(err)
	}
	expect(t, e.call(http.MethodPut, "/api/v1/deals/"+withProperty.ID, admin, map[string]any{"property_id": ours, "title": "Kept"}),
		http.StatusOK, "its property archived since, sent back unchanged")
}
