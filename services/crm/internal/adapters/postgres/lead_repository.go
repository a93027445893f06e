package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// leadColumns are a lead's (l), its source's key (s) and its contact's (c)
// columns, read by scanLead; leadTables joins them.
const (
	leadColumns = `l.id, l.contact_id, l.source_id, l.status, l.assignee_id, l.budget_min_cents, l.budget_max_cents,
l.target_price_cents, l.postal_code, l.property_ids, l.tags, l.score, l.last_activity_at, l.created_at, l.updated_at, l.archived_at,
s.key, ` + contactColumns
	leadTables = `crm.leads l JOIN crm.contacts c ON c.id = l.contact_id LEFT JOIN crm.lead_sources s ON s.id = l.source_id`
)

const (
	sqlInsertLead = `INSERT INTO crm.leads (id, org_id, contact_id, source_id, status, assignee_id, budget_min_cents,
budget_max_cents, target_price_cents, property_ids, score, last_activity_at, created_at, updated_at, postal_code, tags)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`
	sqlUpdateLead = `UPDATE crm.leads SET source_id = $2, status = $3, assignee_id = $4, budget_min_cents = $5,
budget_max_cents = $6, target_price_cents = $7, property_ids = $8, score = $9, last_activity_at = $10,
updated_at = $11, archived_at = $12, postal_code = $13, tags = $14 WHERE id = $1`
	// sqlListLeadsBase is completed by ListLeads with whitelisted predicates
	// (bound parameters only) and the whitelisted sort.
	sqlListLeadsBase = `SELECT ` + leadColumns + ` FROM ` + leadTables + ` WHERE true`
	// Full text over the contact's names and email and the lead's notes
	// ('simple' configuration: names and addresses are not English words).
	sqlLeadText = ` AND (c.search @@ plainto_tsquery('simple', %s)
  OR EXISTS (SELECT 1 FROM crm.lead_notes n WHERE n.lead_id = l.id AND n.search @@ plainto_tsquery('simple', %[1]s)))`

	sqlInsertChange = `INSERT INTO crm.lead_changes (id, org_id, lead_id, kind, from_value, to_value, actor_id, occurred_at, rule_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	sqlInsertActivity = `INSERT INTO crm.lead_activities (id, org_id, lead_id, type, direction, outcome, body, occurred_at, actor_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	sqlInsertNote    = `INSERT INTO crm.lead_notes (id, org_id, lead_id, body, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`
	sqlActivityStats = `SELECT
  count(*) FILTER (WHERE occurred_at >= $2),
  count(*) FILTER (WHERE occurred_at >= $2 AND direction = 'in'),
  count(*) FILTER (WHERE occurred_at >= $2 AND direction = 'out'),
  count(*),
  max(occurred_at)
FROM crm.lead_activities WHERE lead_id = $1`
	sqlInsertScore = `INSERT INTO crm.lead_scores (id, org_id, lead_id, score, factors, computed_at) VALUES ($1, $2, $3, $4, $5, $6)`
	sqlLatestScore = `SELECT score, factors FROM crm.lead_scores WHERE lead_id = $1 ORDER BY computed_at DESC, id DESC LIMIT 1`

	// The timeline is one keyset-paginated UNION ALL over its sources
	// (activities, notes, changes, and outreach's events: the lead's own and
	// its contact's that name no lead), newest first; each branch is bounded by the same keyset predicate and
	// limit so no branch is read beyond one page.
	sqlLeadTimeline = `SELECT id, kind, occurred_at, actor_id, data FROM (
  (SELECT a.id, 'activity' AS kind, a.occurred_at, a.actor_id,
          jsonb_build_object('type', a.type, 'direction', a.direction, 'outcome', a.outcome, 'body', a.body) AS data
   FROM crm.lead_activities a
   WHERE a.lead_id = $1 AND ($2::timestamptz IS NULL OR (a.occurred_at, a.id) < ($2, $3::uuid))
   ORDER BY a.occurred_at DESC, a.id DESC LIMIT $4)
  UNION ALL
  (SELECT n.id, 'note', n.created_at, n.author_id, jsonb_build_object('body', n.body)
   FROM crm.lead_notes n
   WHERE n.lead_id = $1 AND ($2::timestamptz IS NULL OR (n.created_at, n.id) < ($2, $3::uuid))
   ORDER BY n.created_at DESC, n.id DESC LIMIT $4)
  UNION ALL
  (SELECT ch.id, ch.kind, ch.occurred_at, ch.actor_id, jsonb_build_object('from', ch.from_value, 'to', ch.to_value)
          || CASE WHEN ch.rule_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('rule_id', ch.rule_id) END
   FROM crm.lead_changes ch
   WHERE ch.lead_id = $1 AND ($2::timestamptz IS NULL OR (ch.occurred_at, ch.id) < ($2, $3::uuid))
   ORDER BY ch.occurred_at DESC, ch.id DESC LIMIT $4)
  UNION ALL
  (SELECT o.id, 'outreach', o.occurred_at, NULL::uuid, jsonb_build_object('type', o.type, 'summary', o.summary) || o.detail
   FROM crm.outreach_events o
   WHERE o.lead_id = $1 AND ($2::timestamptz IS NULL OR (o.occurred_at, o.id) < ($2, $3::uuid))
   ORDER BY o.occurred_at DESC, o.id DESC LIMIT $4)
  UNION ALL
  (SELECT o.id, 'outreach', o.occurred_at, NULL::uuid, jsonb_build_object('type', o.type, 'summary', o.summary) || o.detail
   FROM crm.outreach_events o
   WHERE o.lead_id IS NULL AND o.contact_id = (SELECT l.contact_id FROM crm.leads l WHERE l.id = $1)
     AND ($2::timestamptz IS NULL OR (o.occurred_at, o.id) < ($2, $3::uuid))
   ORDER BY o.occurred_at DESC, o.id DESC LIMIT $4)
) t ORDER BY occurred_at DESC, id DESC LIMIT $4`
)

// sqlGetLead looks a lead up by id ($1) in a scope ($2).
var (
	sqlGetLead       = scopedByID(`SELECT `+leadColumns+` FROM `+leadTables+` WHERE l.id = $1`, sqlLeadVisible, "$2")
	sqlGetLeadLocked = sqlGetLead + ` FOR UPDATE OF l`
)

func scanLead(row pgx.Row) (app.LeadRow, error) {
	var r app.LeadRow
	l := &r.Lead
	err := row.Scan(append([]any{&l.ID, &l.ContactID, &l.SourceID, &l.Status, &l.AssigneeID, &l.BudgetMinCents, &l.BudgetMaxCents,
		&l.TargetPriceCents, &l.PostalCode, &l.PropertyIDs, &l.Tags, &l.Score, &l.LastActivityAt, &l.CreatedAt, &l.UpdatedAt, &l.ArchivedAt,
		&r.SourceKey}, contactFields(&r.Contact)...)...)
	if l.PropertyIDs == nil {
		l.PropertyIDs = []string{}
	}
	if l.Tags == nil {
		l.Tags = []string{}
	}
	return r, err
}

func (r leadRepo) Create(ctx context.Context, orgID string, l domain.Lead) error {
	_, err := r.tx.Exec(ctx, sqlInsertLead, l.ID, orgID, l.ContactID, l.SourceID, l.Status, l.AssigneeID, l.BudgetMinCents,
		l.BudgetMaxCents, l.TargetPriceCents, l.PropertyIDs, l.Score, l.LastActivityAt, l.CreatedAt, l.UpdatedAt, l.PostalCode, tagsArg(l.Tags))
	if err != nil {
		return fmt.Errorf("insert lead: %w", err)
	}
	return nil
}

// tagsArg is a lead's tags as the NOT NULL column takes them.
func tagsArg(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

func (r leadRepo) Get(ctx context.Context, id string, scope app.Scope) (app.LeadRow, error) {
	return r.get(ctx, sqlGetLead, id, scope)
}

func (r leadRepo) GetForUpdate(ctx context.Context, id string, scope app.Scope) (app.LeadRow, error) {
	return r.get(ctx, sqlGetLeadLocked, id, scope)
}

func (r leadRepo) get(ctx context.Context, q, id string, scope app.Scope) (app.LeadRow, error) {
	row, err := scanLead(r.tx.QueryRow(ctx, q, id, scopeArg(scope)))
	return row, notFound(err, domain.ReasonLeadNotFound, "lead")
}

func (r leadRepo) Update(ctx context.Context, l domain.Lead) error {
	tag, err := r.tx.Exec(ctx, sqlUpdateLead, l.ID, l.SourceID, l.Status, l.AssigneeID, l.BudgetMinCents, l.BudgetMaxCents,
		l.TargetPriceCents, l.PropertyIDs, l.Score, l.LastActivityAt, l.UpdatedAt, l.ArchivedAt, l.PostalCode, tagsArg(l.Tags))
	if err != nil {
		return fmt.Errorf("update lead: %w", err)
	}
	return expectOne(tag, domain.ReasonLeadNotFound, "lead")
}

// leadSortExpr maps the whitelisted sort fields to SQL; nothing else
// reaches the query text.
var leadSortExpr = map[string]sortColumn{
	"created_at": {"l.created_at", postgres.Timestamptz},
	"updated_at": {"l.updated_at", postgres.Timestamptz},
	"score":      {"coalesce(l.score, -1)", postgres.Integer},
}

// query builds a WHERE clause from bound parameters.
type query struct {
	sb   strings.Builder
	args []any
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) where(format string, v any) { fmt.Fprintf(&q.sb, format, q.arg(v)) }

func (r leadRepo) List(ctx context.Context, lq app.LeadQuery) (app.Page[app.LeadRow], error) {
	col, ok := leadSortExpr[lq.Sort.Field]
	if !ok {
		return app.Page[app.LeadRow]{}, fmt.Errorf("list leads: unknown sort %q", lq.Sort.Field)
	}
	page, err := listKeyset(lq.Sort, col, "l.id").Page(lq.Page.Cursor, lq.Page.Limit)
	if err != nil {
		return app.Page[app.LeadRow]{}, err
	}
	q := &query{}
	q.sb.WriteString(sqlListLeadsBase)
	if !lq.IncludeArchived {
		q.sb.WriteString(" AND l.archived_at IS NULL")
	}
	if lq.Status != "" {
		q.where(" AND l.status = %s", lq.Status)
	}
	if lq.SourceID != "" {
		q.where(" AND l.source_id = %s::uuid", lq.SourceID)
	}
	if lq.AssigneeID != "" {
		q.where(" AND l.assignee_id = %s::uuid", lq.AssigneeID)
	}
	if lq.Tag != "" {
		q.where(" AND l.tags @> ARRAY[%s::text]", lq.Tag)
	}
	q.whereVisible(sqlLeadVisible, lq.VisibleTo)
	if lq.ScoreMin != nil {
		q.where(" AND l.score >= %s", *lq.ScoreMin)
	}
	if lq.ScoreMax != nil {
		q.where(" AND l.score <= %s", *lq.ScoreMax)
	}
	if lq.CreatedFrom != nil {
		q.where(" AND l.created_at >= %s", *lq.CreatedFrom)
	}
	if lq.CreatedTo != nil {
		q.where(" AND l.created_at < %s", *lq.CreatedTo)
	}
	if lq.Text != "" {
		q.where(sqlLeadText, lq.Text)
	}
	q.seek(page)
	rows, err := r.tx.Query(ctx, q.sb.String(), q.args...)
	if err != nil {
		return app.Page[app.LeadRow]{}, fmt.Errorf("list leads: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (app.LeadRow, error) { return scanLead(row) },
		func(r app.LeadRow) (any, string) {
			switch lq.Sort.Field {
			case "updated_at":
				return r.Lead.UpdatedAt, r.Lead.ID
			case "score":
				if r.Lead.Score == nil {
					return -1, r.Lead.ID // as leadSortExpr: unscored leads sort as -1
				}
				return *r.Lead.Score, r.Lead.ID
			}
			return r.Lead.CreatedAt, r.Lead.ID
		})
	if err != nil {
		return app.Page[app.LeadRow]{}, fmt.Errorf("list leads: %w", err)
	}
	return out, nil
}

func (r leadRepo) RecordChange(ctx context.Context, orgID string, c app.Change) error {
	_, err := r.tx.Exec(ctx, sqlInsertChange, c.ID, orgID, c.LeadID, c.Kind, c.From, c.To, c.ActorID, c.OccurredAt, c.RuleID)
	if err != nil {
		return fmt.Errorf("insert lead change: %w", err)
	}
	return nil
}

func (r activityRepo) Add(ctx context.Context, orgID string, a domain.Activity) error {
	_, err := r.tx.Exec(ctx, sqlInsertActivity, a.ID, orgID, a.LeadID, a.Type, a.Direction, a.Outcome, a.Body, a.OccurredAt, a.ActorID, a.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert activity: %w", err)
	}
	return nil
}

func (r activityRepo) AddNote(ctx context.Context, orgID string, n domain.Note) error {
	_, err := r.tx.Exec(ctx, sqlInsertNote, n.ID, orgID, n.LeadID, n.Body, n.AuthorID, n.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert note: %w", err)
	}
	return nil
}

func (r activityRepo) Stats(ctx context.Context, leadID string, since time.Time) (app.ActivityStats, error) {
	var s app.ActivityStats
	err := r.tx.QueryRow(ctx, sqlActivityStats, leadID, since).Scan(&s.Total, &s.Inbound, &s.Outbound, &s.All, &s.Last)
	if err != nil {
		return s, fmt.Errorf("activity stats: %w", err)
	}
	return s, nil
}

func (r scoreRepo) Record(ctx context.Context, orgID, leadID, id string, s domain.Score, at time.Time) error {
	factors, err := json.Marshal(s.Factors)
	if err != nil {
		return err
	}
	if _, err := r.tx.Exec(ctx, sqlInsertScore, id, orgID, leadID, s.Value, factors, at); err != nil {
		return fmt.Errorf("insert score: %w", err)
	}
	return nil
}

func (r leadRepo) Timeline(ctx context.Context, leadID string, p app.PageRequest) (app.Page[app.TimelineItem], error) {
	return timeline(ctx, r.tx, sqlLeadTimeline, leadID, p)
}

// timeline reads one page of a timeline query: sql over the aggregate id.
func timeline(ctx context.Context, tx pgx.Tx, sql, id string, p app.PageRequest) (app.Page[app.TimelineItem], error) {
	page, err := timelineKeyset.Page(p.Cursor, p.Limit)
	if err != nil {
		return app.Page[app.TimelineItem]{}, err
	}
	at, afterID, fetch := page.Args()
	rows, err := tx.Query(ctx, sql, id, at, afterID, fetch)
	if err != nil {
		return app.Page[app.TimelineItem]{}, fmt.Errorf("timeline: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (app.TimelineItem, error) {
		var it app.TimelineItem
		err := row.Scan(&it.ID, &it.Kind, &it.OccurredAt, &it.ActorID, &it.Data)
		return it, err
	}, func(it app.TimelineItem) (any, string) { return it.OccurredAt, it.ID })
	if err != nil {
		return app.Page[app.TimelineItem]{}, fmt.Errorf("timeline: %w", err)
	}
	return out, nil
}

func (r scoreRepo) Latest(ctx context.Context, leadID string) (*domain.Score, error) {
	var s domain.Score
	var factors []byte
	err := r.tx.QueryRow(ctx, sqlLatestScore, leadID).Scan(&s.Value, &factors)
	if postgres.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest score: %w", err)
	}
	if err := json.Unmarshal(factors, &s.Factors); err != nil {
		return nil, fmt.Errorf("latest score: factors: %w", err)
	}
	return &s, nil
}
