package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

const dealColumns = `d.id, d.lead_id, d.title, d.value_cents, d.currency, d.stage_id, d.property_id, d.assignee_id,
d.expected_close_date::text, d.created_at, d.updated_at, d.closed_at`

const (
	sqlInsertDeal = `INSERT INTO crm.deals (id, org_id, lead_id, title, value_cents, currency, stage_id, property_id,
assignee_id, expected_close_date, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::date, $11, $12)`
	sqlUpdateDeal = `UPDATE crm.deals SET title = $2, value_cents = $3, currency = $4, stage_id = $5, property_id = $6,
assignee_id = $7, expected_close_date = $8::date, updated_at = $9, closed_at = $10 WHERE id = $1`
	sqlListDealsBase      = `SELECT ` + dealColumns + ` FROM crm.deals d WHERE true`
	sqlInsertStageHistory = `INSERT INTO crm.deal_stage_history (id, org_id, deal_id, from_stage_id, to_stage_id, changed_by, changed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`
	sqlInsertDealChange = `INSERT INTO crm.deal_changes (id, org_id, deal_id, field, old_value, new_value, actor_id, changed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

	// The deal timeline is, like the lead's, one keyset-paginated UNION ALL
	// newest first over its sources — stage history (created and
	// stage_changed), documents and field changes — each branch bounded by
	// the same keyset predicate and limit. A document entry names the file,
	// never a link: links expire, the timeline does not.
	sqlDealTimeline = `SELECT id, kind, occurred_at, actor_id, data FROM (
  (SELECT h.id, CASE WHEN h.from_stage_id IS NULL THEN 'created' ELSE 'stage_changed' END AS kind, h.changed_at AS occurred_at,
          h.changed_by AS actor_id,
          jsonb_build_object('from_stage_id', h.from_stage_id, 'from_stage', fs.key, 'to_stage_id', h.to_stage_id, 'to_stage', ts.key) AS data
   FROM crm.deal_stage_history h
   LEFT JOIN crm.deal_stages fs ON fs.id = h.from_stage_id
   JOIN crm.deal_stages ts ON ts.id = h.to_stage_id
   WHERE h.deal_id = $1 AND ($2::timestamptz IS NULL OR (h.changed_at, h.id) < ($2, $3::uuid))
   ORDER BY h.changed_at DESC, h.id DESC LIMIT $4)
  UNION ALL
  (SELECT doc.id, 'document_added', doc.created_at, doc.uploaded_by,
          jsonb_build_object('document_id', doc.id, 'title', doc.title, 'file_name', doc.file_name,
                             'content_type', doc.content_type, 'size_bytes', doc.size_bytes)
   FROM crm.deal_documents doc
   WHERE doc.deal_id = $1 AND ($2::timestamptz IS NULL OR (doc.created_at, doc.id) < ($2, $3::uuid))
   ORDER BY doc.created_at DESC, doc.id DESC LIMIT $4)
  UNION ALL
  (SELECT ch.id, 'updated', ch.changed_at, ch.actor_id, jsonb_build_object('field', ch.field, 'from', ch.old_value, 'to', ch.new_value)
   FROM crm.deal_changes ch
   WHERE ch.deal_id = $1 AND ($2::timestamptz IS NULL OR (ch.changed_at, ch.id) < ($2, $3::uuid))
   ORDER BY ch.changed_at DESC, ch.id DESC LIMIT $4)
) t ORDER BY occurred_at DESC, id DESC LIMIT $4`
)

// sqlGetDeal looks a deal up by id ($1) in a scope ($2).
var (
	sqlGetDeal       = scopedByID(`SELECT `+dealColumns+` FROM crm.deals d WHERE d.id = $1`, sqlDealVisible, "$2")
	sqlGetDealLocked = sqlGetDeal + ` FOR UPDATE OF d`
)

var dealSortExpr = map[string]sortColumn{
	"created_at":  {"d.created_at", postgres.Timestamptz},
	"updated_at":  {"d.updated_at", postgres.Timestamptz},
	"value_cents": {"d.value_cents", postgres.Bigint},
}

func scanDeal(row pgx.Row) (domain.Deal, error) {
	var d domain.Deal
	err := row.Scan(&d.ID, &d.LeadID, &d.Title, &d.ValueCents, &d.Currency, &d.StageID, &d.PropertyID, &d.AssigneeID,
		&d.ExpectedCloseDate, &d.CreatedAt, &d.UpdatedAt, &d.ClosedAt)
	return d, err
}

func (r dealRepo) Create(ctx context.Context, orgID string, d domain.Deal) error {
	_, err := r.tx.Exec(ctx, sqlInsertDeal, d.ID, orgID, d.LeadID, d.Title, d.ValueCents, d.Currency, d.StageID, d.PropertyID,
		d.AssigneeID, d.ExpectedCloseDate, d.CreatedAt, d.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert deal: %w", err)
	}
	return nil
}

func (r dealRepo) Get(ctx context.Context, id string, scope app.Scope) (domain.Deal, error) {
	return r.get(ctx, sqlGetDeal, id, scope)
}

func (r dealRepo) GetForUpdate(ctx context.Context, id string, scope app.Scope) (domain.Deal, error) {
	return r.get(ctx, sqlGetDealLocked, id, scope)
}

func (r dealRepo) get(ctx context.Context, q, id string, scope app.Scope) (domain.Deal, error) {
	d, err := scanDeal(r.tx.QueryRow(ctx, q, id, scopeArg(scope)))
	return d, notFound(err, domain.ReasonDealNotFound, "deal")
}

func (r dealRepo) Update(ctx context.Context, d domain.Deal) error {
	tag, err := r.tx.Exec(ctx, sqlUpdateDeal, d.ID, d.Title, d.ValueCents, d.Currency, d.StageID, d.PropertyID, d.AssigneeID,
		d.ExpectedCloseDate, d.UpdatedAt, d.ClosedAt)
	if err != nil {
		return fmt.Errorf("update deal: %w", err)
	}
	return expectOne(tag, domain.ReasonDealNotFound, "deal")
}

func (r dealRepo) List(ctx context.Context, dq app.DealQuery) (app.Page[domain.Deal], error) {
	col, ok := dealSortExpr[dq.Sort.Field]
	if !ok {
		return app.Page[domain.Deal]{}, fmt.Errorf("list deals: unknown sort %q", dq.Sort.Field)
	}
	page, err := listKeyset(dq.Sort, col, "d.id").Page(dq.Page.Cursor, dq.Page.Limit)
	if err != nil {
		return app.Page[domain.Deal]{}, err
	}
	q := &query{}
	q.sb.WriteString(sqlListDealsBase)
	if dq.StageID != "" {
		q.where(" AND d.stage_id = %s::uuid", dq.StageID)
	}
	if dq.LeadID != "" {
		q.where(" AND d.lead_id = %s::uuid", dq.LeadID)
	}
	if dq.AssigneeID != "" {
		q.where(" AND d.assignee_id = %s::uuid", dq.AssigneeID)
	}
	// In the keyset query, so pages stay full and cursors exact.
	q.whereVisible(sqlDealVisible, dq.VisibleTo)
	q.seek(page)
	rows, err := r.tx.Query(ctx, q.sb.String(), q.args...)
	if err != nil {
		return app.Page[domain.Deal]{}, fmt.Errorf("list deals: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (domain.Deal, error) { return scanDeal(row) },
		func(d domain.Deal) (any, string) {
			switch dq.Sort.Field {
			case "updated_at":
				return d.UpdatedAt, d.ID
			case "value_cents":
				return d.ValueCents, d.ID
			}
			return d.CreatedAt, d.ID
		})
	if err != nil {
		return app.Page[domain.Deal]{}, fmt.Errorf("list deals: %w", err)
	}
	return out, nil
}

func (r dealRepo) RecordStageChange(ctx context.Context, orgID string, h app.StageChange) error {
	_, err := r.tx.Exec(ctx, sqlInsertStageHistory, h.ID, orgID, h.DealID, h.FromStage, h.ToStage, h.ChangedBy, h.ChangedAt)
	if err != nil {
		return fmt.Errorf("insert stage history: %w", err)
	}
	return nil
}

func (r dealRepo) RecordChange(ctx context.Context, orgID string, c app.DealFieldChange) error {
	_, err := r.tx.Exec(ctx, sqlInsertDealChange, c.ID, orgID, c.DealID, c.Field, []byte(c.Old), []byte(c.New), c.ActorID, c.ChangedAt)
	if err != nil {
		return fmt.Errorf("insert deal change: %w", err)
	}
	return nil
}

func (r dealRepo) Timeline(ctx context.Context, dealID string, p app.PageRequest) (app.Page[app.TimelineItem], error) {
	return timeline(ctx, r.tx, sqlDealTimeline, dealID, p)
}
