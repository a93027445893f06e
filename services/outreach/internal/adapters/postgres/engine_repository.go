package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
)

const (
	// The freeze copies a campaign's audience into its targets: the
	// contact's details as they are now (a lead whose contact the read
	// model lacks is frozen without an address, and its messages are
	// blocked no_address: visible, not silently dropped). $1 campaign,
	// $2 step 1's due time, $3 now; a filter's values from $4.
	freezeInsert = `INSERT INTO outreach.campaign_targets (org_id, campaign_id, lead_id, contact_id, first_name, last_name, email, phone,
    time_zone, postal_code, stage, state, next_step, due_at, frozen_at)
SELECT l.org_id, $1, l.lead_id, l.contact_id, coalesce(c.first_name, ''), coalesce(c.last_name, ''), c.email, c.phone, c.time_zone,
    coalesce(c.postal_code, l.postal_code), l.status, 'active', 1, $2, $3
FROM outreach.audience_leads l
LEFT JOIN outreach.audience_contacts c ON c.org_id = l.org_id AND c.contact_id = l.contact_id AND NOT c.deleted
WHERE `
	freezeEnd      = ` ON CONFLICT DO NOTHING`
	sqlFreezeLeads = freezeInsert + `NOT l.archived
  AND l.lead_id IN (SELECT a.lead_id FROM outreach.campaign_audience_leads a WHERE a.campaign_id = $1)` + freezeEnd

	targetCols = `t.lead_id::text, t.contact_id::text, t.first_name, t.last_name, t.email, t.phone, t.time_zone, t.postal_code, t.stage,
t.state, t.stop_reason, t.next_step, t.due_at, t.last_sent_at`
	// sqlClaimDue takes due targets the other steps do not hold, oldest
	// due first, and leases them.
	sqlClaimDue = `WITH due AS (
    SELECT t.org_id, t.campaign_id, t.lead_id FROM outreach.campaign_targets t
    WHERE t.campaign_id = $1 AND t.state = 'active' AND t.due_at <= $2
    ORDER BY t.due_at, t.lead_id LIMIT $4 FOR UPDATE SKIP LOCKED)
UPDATE outreach.campaign_targets t SET due_at = $3 FROM due
WHERE t.org_id = due.org_id AND t.campaign_id = due.campaign_id AND t.lead_id = due.lead_id
RETURNING ` + targetCols
	sqlSaveTargets = `UPDATE outreach.campaign_targets t
SET state = u.state, stop_reason = u.stop_reason, next_step = u.next_step, due_at = u.due_at, last_sent_at = u.last_sent_at
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::timestamptz[])
    AS u(lead_id, state, stop_reason, next_step, due_at, last_sent_at)
WHERE t.campaign_id = $1 AND t.lead_id = u.lead_id`
	sqlTargetProgress = `SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state = 'done'),
    count(*) FILTER (WHERE state = 'stopped'), min(due_at) FILTER (WHERE state = 'active')
FROM outreach.campaign_targets WHERE campaign_id = $1`
	sqlReplied = `SELECT DISTINCT lead_id::text FROM outreach.outreach_attempts
WHERE campaign_id = $1 AND lead_id = ANY($2::uuid[]) AND replied_at IS NOT NULL`

	sqlDueCampaigns = `SELECT org_id::text, campaign_id::text FROM outreach.outreach_due_campaigns($1, $2)`
	sqlAttemptOrg   = `SELECT coalesce(outreach.outreach_attempt_org($1, $2)::text, '')`
	sqlInboundOrgs  = `SELECT o::text FROM outreach.outreach_inbound_orgs($1, $2) AS o`
)

func (r engineRepo) FreezeTargets(ctx context.Context, c domain.Campaign, due, now time.Time) (int, error) {
	q, args := sqlFreezeLeads, []any{c.ID, due, now}
	if c.Audience == domain.AudienceFilter && c.Filter != nil {
		q, args = freezeInsert+filterMatches(4)+freezeEnd, append(args, filterArgs(*c.Filter)...)
	}
	tag, err := r.tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("freeze targets: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

func scanTarget(row pgx.CollectableRow) (domain.Target, error) {
	var t domain.Target
	err := row.Scan(&t.LeadID, &t.ContactID, &t.FirstName, &t.LastName, &t.Email, &t.Phone, &t.TimeZone, &t.PostalCode, &t.Stage,
		&t.State, &t.StopReason, &t.NextStep, &t.DueAt, &t.LastSentAt)
	return t, err
}

func (r engineRepo) ClaimDue(ctx context.Context, campaignID string, now, leaseUntil time.Time, limit int) ([]domain.Target, error) {
	rows, err := r.tx.Query(ctx, sqlClaimDue, campaignID, now, leaseUntil, limit)
	if err != nil {
		return nil, fmt.Errorf("claim due targets: %w", err)
	}
	ts, err := pgx.CollectRows(rows, scanTarget)
	if err != nil {
		return nil, fmt.Errorf("claim due targets: %w", err)
	}
	return ts, nil
}

func (r engineRepo) SaveTargets(ctx context.Context, campaignID string, ts []domain.Target) error {
	if len(ts) == 0 {
		return nil
	}
	ids, states, reasons := make([]string, len(ts)), make([]string, len(ts)), make([]*string, len(ts))
	steps, due, sent := make([]int, len(ts)), make([]*time.Time, len(ts)), make([]*time.Time, len(ts))
	for i, t := range ts {
		ids[i], states[i], reasons[i], steps[i], due[i], sent[i] = t.LeadID, t.State, t.StopReason, min(t.NextStep, 51), t.DueAt, t.LastSentAt
	}
	if _, err := r.tx.Exec(ctx, sqlSaveTargets, campaignID, ids, states, reasons, steps, due, sent); err != nil {
		return fmt.Errorf("save targets: %w", err)
	}
	return nil
}

func (r engineRepo) Progress(ctx context.Context, campaignID string) (app.TargetProgress, error) {
	var p app.TargetProgress
	if err := r.tx.QueryRow(ctx, sqlTargetProgress, campaignID).Scan(&p.Active, &p.Done, &p.Stopped, &p.NextDue); err != nil {
		return p, fmt.Errorf("target progress: %w", err)
	}
	return p, nil
}

func (r engineRepo) Replied(ctx context.Context, campaignID string, leadIDs []string) (map[string]bool, error) {
	rows, err := r.tx.Query(ctx, sqlReplied, campaignID, leadIDs)
	if err != nil {
		return nil, fmt.Errorf("replied leads: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("replied leads: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// CampaignStatus reads the status in one round trip: the organisation
// set transaction-locally and the read, sent as one batch, run in the one
// implicit transaction the extended protocol gives the statements before
// its Sync, so the setting applies to the read and ends with it.
func (s *Store) CampaignStatus(ctx context.Context, orgID, campaignID string) (domain.CampaignStatus, bool, error) {
	if !domain.ValidID(orgID) || !domain.ValidID(campaignID) {
		return "", false, fmt.Errorf("campaign status: bad id %q / %q", orgID, campaignID)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('app.org_id', $1, true)`, orgID)
	b.Queue(`SELECT status FROM outreach.campaigns WHERE id = $1`, campaignID)
	br := s.pool.SendBatch(ctx, b)
	defer func() { _ = br.Close() }()
	if _, err := br.Exec(); err != nil {
		return "", false, fmt.Errorf("campaign status: %w", err)
	}
	var st string
	err := br.QueryRow().Scan(&st)
	if err == pgx.ErrNoRows {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("campaign status: %w", err)
	}
	return domain.CampaignStatus(st), true, br.Close()
}

func (s *Store) DueCampaigns(ctx context.Context, now time.Time, limit int) ([]app.CampaignRef, error) {
	rows, err := s.pool.Query(ctx, sqlDueCampaigns, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due campaigns: %w", err)
	}
	refs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.CampaignRef, error) {
		var c app.CampaignRef
		err := row.Scan(&c.OrgID, &c.CampaignID)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("due campaigns: %w", err)
	}
	return refs, nil
}

func (s *Store) AttemptOrg(ctx context.Context, provider, providerMessageID string) (string, error) {
	var org string
	if err := s.pool.QueryRow(ctx, sqlAttemptOrg, provider, providerMessageID).Scan(&org); err != nil {
		return "", fmt.Errorf("attempt org: %w", err)
	}
	return org, nil
}

func (s *Store) InboundOrgs(ctx context.Context, to, from string) ([]string, error) {
	rows, err := s.pool.Query(ctx, sqlInboundOrgs, to, from)
	if err != nil {
		return nil, fmt.Errorf("inbound orgs: %w", err)
	}
	orgs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("inbound orgs: %w", err)
	}
	return orgs, nil
}
