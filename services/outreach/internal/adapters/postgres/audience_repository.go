package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
)

// The audience as the app reads it.
const (
	sqlAudienceLeadsByID = `SELECT l.lead_id::text, l.contact_id::text, l.status, l.source_key, l.assignee_id::text, l.score, l.tags,
    l.postal_code, l.archived, coalesce(c.first_name, ''), coalesce(c.last_name, ''), c.email, c.phone, c.time_zone, c.postal_code,
    coalesce(c.deleted, false)
FROM outreach.audience_leads l
LEFT JOIN outreach.audience_contacts c ON c.org_id = l.org_id AND c.contact_id = l.contact_id
WHERE l.lead_id = ANY($1::uuid[])`
	sqlAudienceContact = `SELECT contact_id::text, first_name, last_name, email, phone, time_zone, postal_code, deleted
FROM outreach.audience_contacts WHERE contact_id = $1`
	// sqlCountMatching evaluates a saved filter: every criterion is a
	// plain comparison (leakproof), a NULL parameter does not filter.
	sqlCountMatching = `SELECT count(*) FROM outreach.audience_leads l WHERE `
)

// The audience's writes (the consumer's): newer wins, deletion and
// archiving are terminal. The WHERE of the upsert is what makes an event
// that is not newer change nothing.
const (
	sqlUpsertAudienceContact = `INSERT INTO outreach.audience_contacts (org_id, contact_id, first_name, last_name, email, phone, time_zone, postal_code, deleted, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (org_id, contact_id) DO UPDATE
SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, email = EXCLUDED.email, phone = EXCLUDED.phone,
    time_zone = EXCLUDED.time_zone, postal_code = EXCLUDED.postal_code, deleted = outreach.audience_contacts.deleted OR EXCLUDED.deleted,
    updated_at = EXCLUDED.updated_at
WHERE EXCLUDED.updated_at > outreach.audience_contacts.updated_at AND NOT outreach.audience_contacts.deleted`
	sqlUpsertAudienceLead = `INSERT INTO outreach.audience_leads (org_id, lead_id, contact_id, status, source_key, assignee_id, score, tags, postal_code, archived, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (org_id, lead_id) DO UPDATE
SET contact_id = EXCLUDED.contact_id, status = EXCLUDED.status, source_key = EXCLUDED.source_key, assignee_id = EXCLUDED.assignee_id,
    score = EXCLUDED.score, tags = EXCLUDED.tags, postal_code = EXCLUDED.postal_code,
    archived = outreach.audience_leads.archived OR EXCLUDED.archived, updated_at = EXCLUDED.updated_at
WHERE EXCLUDED.updated_at > outreach.audience_leads.updated_at`
)

func (d audienceDirectory) Leads(ctx context.Context, ids []string) (map[string]domain.AudienceLead, error) {
	rows, err := d.tx.Query(ctx, sqlAudienceLeadsByID, ids)
	if err != nil {
		return nil, fmt.Errorf("audience leads: %w", err)
	}
	out := make(map[string]domain.AudienceLead, len(ids))
	var l domain.AudienceLead
	c := &l.Contact
	_, err = pgx.ForEachRow(rows, []any{&l.LeadID, &l.ContactID, &l.Status, &l.SourceKey, &l.AssigneeID, &l.Score, &l.Tags,
		&l.PostalCode, &l.Archived, &c.FirstName, &c.LastName, &c.Email, &c.Phone, &c.TimeZone, &c.PostalCode, &c.Deleted}, func() error {
		row := l
		row.Contact.ContactID = l.ContactID
		out[l.LeadID] = row
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audience leads: %w", err)
	}
	return out, nil
}

func (d audienceDirectory) Contact(ctx context.Context, id string) (domain.AudienceContact, bool, error) {
	var c domain.AudienceContact
	err := d.tx.QueryRow(ctx, sqlAudienceContact, id).Scan(&c.ContactID, &c.FirstName, &c.LastName, &c.Email, &c.Phone,
		&c.TimeZone, &c.PostalCode, &c.Deleted)
	if err == pgx.ErrNoRows {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("audience contact: %w", err)
	}
	return c, true, nil
}

func (d audienceDirectory) CountMatching(ctx context.Context, f domain.LeadFilter) (int, error) {
	var n int
	err := d.tx.QueryRow(ctx, sqlCountMatching+filterMatches(1), filterArgs(f)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count matching leads: %w", err)
	}
	return n, nil
}

// filterMatches is a saved filter over audience_leads l, every criterion a
// plain comparison (leakproof), a NULL parameter not filtering; its values
// (filterArgs) are bound from $first on.
func filterMatches(first int) string {
	return strings.NewReplacer("$1", p(first), "$2", p(first+1), "$3", p(first+2), "$4", p(first+3), "$5", p(first+4), "$6", p(first+5)).
		Replace(`NOT l.archived
  AND ($1::text[] IS NULL OR l.status = ANY($1))
  AND ($2::text[] IS NULL OR l.source_key = ANY($2))
  AND ($3::int IS NULL OR l.score >= $3)
  AND ($4::int IS NULL OR l.score <= $4)
  AND ($5::text[] IS NULL OR l.tags @> $5)
  AND ($6::uuid[] IS NULL OR l.assignee_id = ANY($6))`)
}

func p(n int) string { return "$" + strconv.Itoa(n) }

// filterArgs are f's values as filterMatches binds them.
func filterArgs(f domain.LeadFilter) []any {
	return []any{orNil(f.Stages), orNil(f.Sources), f.ScoreMin, f.ScoreMax, orNil(f.Tags), orNil(f.AssigneeIDs)}
}

// orNil is a filter list as a parameter: NULL when empty (no filter).
func orNil(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return v
}

// audienceReadModel is app.AudienceReadModel over the consumer's transaction.
type audienceReadModel struct{ tx pgx.Tx }

var _ app.AudienceReadModel = audienceReadModel{}

func (m audienceReadModel) UpsertContact(ctx context.Context, orgID string, c domain.AudienceContact, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlUpsertAudienceContact, orgID, c.ContactID, c.FirstName, c.LastName, c.Email, c.Phone,
		c.TimeZone, c.PostalCode, c.Deleted, at); err != nil {
		return fmt.Errorf("upsert audience contact: %w", err)
	}
	return nil
}

func (m audienceReadModel) UpsertLead(ctx context.Context, orgID string, l domain.AudienceLead, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlUpsertAudienceLead, orgID, l.LeadID, l.ContactID, l.Status, l.SourceKey, l.AssigneeID,
		l.Score, l.Tags, l.PostalCode, l.Archived, at); err != nil {
		return fmt.Errorf("upsert audience lead: %w", err)
	}
	return nil
}

// AudienceEventHandler is the events.Handler of the audience read model:
// app.ApplyCRMEvent writing through the consumer's transaction (in which
// app.org_id is the event's organisation).
func AudienceEventHandler() events.Handler {
	return func(ctx context.Context, tx pgx.Tx, ev events.Event) error {
		return app.ApplyCRMEvent(ctx, audienceReadModel{tx: tx}, ev)
	}
}
