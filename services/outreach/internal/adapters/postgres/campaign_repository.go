package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

const (
	campaignCols = `c.id::text, c.org_id::text, c.name, c.status, c.scheduled_at, c.grace_period_seconds, c.pause_reason,
c.audience, c.filter, c.created_by::text, c.created_at, c.updated_at, c.launched_at, c.completed_at, c.cancelled_at, c.next_wake_at, c.target_count`
	sqlInsertCampaign = `INSERT INTO outreach.campaigns (id, org_id, name, status, scheduled_at, grace_period_seconds, pause_reason,
    audience, filter, created_by, created_at, updated_at, launched_at, completed_at, cancelled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	sqlGetCampaign          = `SELECT ` + campaignCols + ` FROM outreach.campaigns c WHERE c.id = $1`
	sqlGetCampaignForUpdate = sqlGetCampaign + ` FOR UPDATE`
	sqlUpdateCampaign       = `UPDATE outreach.campaigns SET name = $2, status = $3, scheduled_at = $4, grace_period_seconds = $5,
    pause_reason = $6, audience = $7, filter = $8, updated_at = $9, launched_at = $10, completed_at = $11, cancelled_at = $12,
    next_wake_at = $13, target_count = $14
WHERE id = $1`
	sqlCampaignSteps = `SELECT campaign_id::text, step, channel, coalesce(email_template_id, sms_template_id)::text, delay_seconds, send_at,
    stop_on_reply, stop_on_stage_change
FROM outreach.campaign_steps WHERE campaign_id = ANY($1::uuid[]) ORDER BY campaign_id, step`
	sqlDeleteSteps = `DELETE FROM outreach.campaign_steps WHERE campaign_id = $1`
	sqlInsertStep  = `INSERT INTO outreach.campaign_steps (org_id, campaign_id, step, channel, email_template_id, sms_template_id,
    delay_seconds, send_at, stop_on_reply, stop_on_stage_change)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	sqlDeleteAudienceLeads = `DELETE FROM outreach.campaign_audience_leads WHERE campaign_id = $1`
	sqlInsertAudienceLeads = `INSERT INTO outreach.campaign_audience_leads (org_id, campaign_id, lead_id, position)
SELECT c.org_id, c.id, l.id, l.pos FROM outreach.campaigns c, unnest($2::uuid[]) WITH ORDINALITY AS l(id, pos) WHERE c.id = $1`
	sqlAudienceLeads = `SELECT lead_id::text FROM outreach.campaign_audience_leads WHERE campaign_id = $1 ORDER BY position`
)

// campaignSorts are the whitelisted sort fields of campaign lists.
var campaignSorts = map[string]struct {
	expr string
	kind postgres.Kind
}{
	"created_at": {"c.created_at", postgres.Timestamptz},
	"updated_at": {"c.updated_at", postgres.Timestamptz},
	"name":       {"c.name", postgres.Text},
}

// CampaignSortFields lists the sort fields campaign lists accept.
func CampaignSortFields() []string { return []string{"created_at", "updated_at", "name"} }

func scanCampaign(row pgx.CollectableRow) (domain.Campaign, error) {
	var c domain.Campaign
	var status string
	var grace int
	var filter []byte
	err := row.Scan(&c.ID, &c.OrgID, &c.Name, &status, &c.ScheduledAt, &grace, &c.PauseReason, &c.Audience, &filter,
		&c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &c.LaunchedAt, &c.CompletedAt, &c.CancelledAt, &c.NextWakeAt, &c.TargetCount)
	if err != nil {
		return c, err
	}
	c.Status, c.GracePeriod = domain.CampaignStatus(status), time.Duration(grace)*time.Second
	if filter != nil {
		var f domain.LeadFilter
		if err := json.Unmarshal(filter, &f); err != nil {
			return c, fmt.Errorf("campaign %s filter: %w", c.ID, err)
		}
		c.Filter = &f
	}
	return c, nil
}

func filterJSON(f *domain.LeadFilter) ([]byte, error) {
	if f == nil {
		return nil, nil
	}
	return json.Marshal(f)
}

func (r campaignRepo) Create(ctx context.Context, c domain.Campaign) error {
	filter, err := filterJSON(c.Filter)
	if err != nil {
		return err
	}
	if _, err := r.tx.Exec(ctx, sqlInsertCampaign, c.ID, c.OrgID, c.Name, c.Status, c.ScheduledAt, int(c.GracePeriod.Seconds()),
		c.PauseReason, c.Audience, filter, c.CreatedBy, c.CreatedAt, c.UpdatedAt, c.LaunchedAt, c.CompletedAt, c.CancelledAt); err != nil {
		return fmt.Errorf("insert campaign: %w", err)
	}
	return r.insertSteps(ctx, c)
}

func (r campaignRepo) insertSteps(ctx context.Context, c domain.Campaign) error {
	for _, st := range c.Steps {
		var email, sms *string
		if st.Channel == compliance.SMS {
			sms = &st.TemplateID
		} else {
			email = &st.TemplateID
		}
		var delay *int
		if st.Delay != nil {
			d := int(st.Delay.Seconds())
			delay = &d
		}
		if _, err := r.tx.Exec(ctx, sqlInsertStep, c.OrgID, c.ID, st.Step, st.Channel, email, sms, delay, st.SendAt,
			st.StopOnReply, st.StopOnStageChange); err != nil {
			return fmt.Errorf("insert campaign step: %w", err)
		}
	}
	return nil
}

func (r campaignRepo) Get(ctx context.Context, id string) (domain.Campaign, error) {
	return r.get(ctx, sqlGetCampaign, id)
}

func (r campaignRepo) GetForUpdate(ctx context.Context, id string) (domain.Campaign, error) {
	return r.get(ctx, sqlGetCampaignForUpdate, id)
}

func (r campaignRepo) get(ctx context.Context, q, id string) (domain.Campaign, error) {
	rows, _ := r.tx.Query(ctx, q, id)
	c, err := pgx.CollectExactlyOneRow(rows, scanCampaign)
	if err != nil {
		return c, notFound(err, domain.ReasonCampaignNotFound, "campaign")
	}
	cs := []domain.Campaign{c}
	if err := r.withSteps(ctx, cs); err != nil {
		return c, err
	}
	return cs[0], nil
}

// withSteps loads the steps of cs in one query.
func (r campaignRepo) withSteps(ctx context.Context, cs []domain.Campaign) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, len(cs))
	at := make(map[string]int, len(cs))
	for i, c := range cs {
		ids[i], at[c.ID] = c.ID, i
		cs[i].Steps = []domain.Step{}
	}
	rows, err := r.tx.Query(ctx, sqlCampaignSteps, ids)
	if err != nil {
		return fmt.Errorf("campaign steps: %w", err)
	}
	var cid, ch string
	var st domain.Step
	var delay *int
	_, err = pgx.ForEachRow(rows, []any{&cid, &st.Step, &ch, &st.TemplateID, &delay, &st.SendAt, &st.StopOnReply, &st.StopOnStageChange}, func() error {
		s := st
		s.Channel = compliance.Channel(ch)
		if delay != nil {
			d := time.Duration(*delay) * time.Second
			s.Delay = &d
		}
		i := at[cid]
		cs[i].Steps = append(cs[i].Steps, s)
		return nil
	})
	if err != nil {
		return fmt.Errorf("campaign steps: %w", err)
	}
	return nil
}

func (r campaignRepo) Update(ctx context.Context, c domain.Campaign) error {
	filter, err := filterJSON(c.Filter)
	if err != nil {
		return err
	}
	tag, err := r.tx.Exec(ctx, sqlUpdateCampaign, c.ID, c.Name, c.Status, c.ScheduledAt, int(c.GracePeriod.Seconds()), c.PauseReason,
		c.Audience, filter, c.UpdatedAt, c.LaunchedAt, c.CompletedAt, c.CancelledAt, c.NextWakeAt, c.TargetCount)
	if err != nil {
		return fmt.Errorf("update campaign: %w", err)
	}
	if err := expectOne(tag, domain.ReasonCampaignNotFound, "campaign"); err != nil {
		return err
	}
	if !c.Editable() {
		return nil // the steps of a launched campaign do not change
	}
	if _, err := r.tx.Exec(ctx, sqlDeleteSteps, c.ID); err != nil {
		return fmt.Errorf("replace campaign steps: %w", err)
	}
	return r.insertSteps(ctx, c)
}

// List filters by status and a case-insensitive name substring (ILIKE is
// not leakproof, so RLS filters first: fine for an organisation's
// campaigns, which number in the hundreds, not millions).
func (r campaignRepo) List(ctx context.Context, q app.CampaignQuery) (app.Page[domain.Campaign], error) {
	field := q.Sort.Field
	if field == "" {
		field, q.Sort.Desc = "created_at", true
	}
	col, ok := campaignSorts[field]
	if !ok {
		return app.Page[domain.Campaign]{}, fmt.Errorf("campaign sort %q is not whitelisted", field)
	}
	p, err := postgres.SortKeyset(field, q.Sort.Desc, col.kind, col.expr, "c.id").Page(q.Page.Cursor, q.Page.Limit)
	if err != nil {
		return app.Page[domain.Campaign]{}, err
	}
	lq := newListQuery(`SELECT ` + campaignCols + ` FROM outreach.campaigns c WHERE true`)
	if len(q.Statuses) > 0 {
		st := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			st[i] = string(s)
		}
		lq.and("c.status = ANY(" + lq.arg(st) + "::text[])")
	}
	if q.Name != "" {
		lq.and("c.name ILIKE " + lq.arg("%"+likeEscape(q.Name)+"%"))
	}
	page, err := listPage(ctx, r.tx, lq, p, "list campaigns", scanCampaign, func(c domain.Campaign) (any, string) {
		switch field {
		case "name":
			return c.Name, c.ID
		case "updated_at":
			return c.UpdatedAt, c.ID
		}
		return c.CreatedAt, c.ID
	})
	if err != nil {
		return page, err
	}
	return page, r.withSteps(ctx, page.Items)
}

// likeEscape escapes LIKE's wildcards (and its escape character).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (r campaignRepo) SetAudienceLeads(ctx context.Context, campaignID string, leadIDs []string) error {
	if _, err := r.tx.Exec(ctx, sqlDeleteAudienceLeads, campaignID); err != nil {
		return fmt.Errorf("replace campaign leads: %w", err)
	}
	if len(leadIDs) == 0 {
		return nil
	}
	if _, err := r.tx.Exec(ctx, sqlInsertAudienceLeads, campaignID, leadIDs); err != nil {
		return fmt.Errorf("replace campaign leads: %w", err)
	}
	return nil
}

func (r campaignRepo) AudienceLeads(ctx context.Context, campaignID string) ([]string, error) {
	rows, err := r.tx.Query(ctx, sqlAudienceLeads, campaignID)
	if err != nil {
		return nil, fmt.Errorf("campaign leads: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("campaign leads: %w", err)
	}
	return ids, nil
}
