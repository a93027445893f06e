package postgres

import (
	"fmt"

	"reos.dev/services/crm/internal/app"
)

// The agent visibility rule (app.Scope, agents_see_only_assigned), written
// once: a predicate per table, each built on the lead's, so what an agent
// sees of a contact, a deal or an import can never drift from what it sees
// of a lead. Each is a format whose %[1]s is the bound parameter holding
// the scope's user and which reads the table under its usual alias (l
// leads, c contacts, d deals, i lead imports). Lists add the predicate only
// when a scope applies (query.where); lookups by id bind NULL for Unscoped
// (scopedByID), so one statement serves both.
const (
	// A lead is the scope's when it is assigned to the scope's user.
	sqlLeadVisible = `l.assignee_id = %[1]s::uuid`
	// A deal: assigned to the user, or on a lead the user sees (so
	// reassigning a lead hands its deals over).
	sqlDealVisible = `(d.assignee_id = %[1]s::uuid OR EXISTS (SELECT 1 FROM crm.leads l WHERE l.id = d.lead_id AND ` + sqlLeadVisible + `))`
	// A contact: the person of a lead the user sees, or — only while no
	// lead names it — one the user created (so an agent can create a
	// contact and then a lead on it). A contact with leads follows them.
	// The plan (checked with EXPLAIN): IN, not EXISTS, so the user's leads
	// are read once (a hashed subplan over leads_assignee_idx) rather than
	// probed for every contact a list walks past; OFFSET 0 keeps the NOT
	// EXISTS a per-row index probe, run only for contacts the user created,
	// where the planner would otherwise hash every lead of the
	// organisation.
	sqlContactVisible = `(c.id IN (SELECT l.contact_id FROM crm.leads l WHERE ` + sqlLeadVisible + `)
  OR (c.created_by = %[1]s::uuid AND NOT EXISTS (SELECT 1 FROM crm.leads l WHERE l.contact_id = c.id OFFSET 0)))`
	// A lead import (with its report, which quotes the file's rows): the
	// user's own.
	sqlImportVisible = `i.created_by = %[1]s::uuid`
)

// scopedByID completes a lookup by id with visible, a predicate above, on
// parameter param: NULL there (scopeArg of Unscoped) sees every row.
func scopedByID(base, visible, param string) string {
	return base + fmt.Sprintf(" AND (%[1]s::uuid IS NULL OR "+visible+")", param)
}

// scopeArg is the scope as the parameter of a scopedByID lookup.
func scopeArg(s app.Scope) any {
	if s == app.Unscoped {
		return nil
	}
	return string(s)
}

// whereVisible adds visible for the scope to a list query (nothing when
// Unscoped).
func (q *query) whereVisible(visible string, s app.Scope) {
	if s != app.Unscoped {
		q.where(" AND "+visible, string(s))
	}
}
