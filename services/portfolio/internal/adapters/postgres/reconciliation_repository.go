package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

const (
	reconciliationColumns = `r.id::text, r.portfolio_id::text, r.status, r.tolerance_bp, r.ledger_cents, r.abs_difference_cents,
    r.holdings_total, r.holdings_checked, r.difference_count, r.checkpoint_holding::text, r.job_id, r.requested_by::text,
    r.created_at, r.completed_at`
	sqlInsertReconciliation = `INSERT INTO portfolio.reconciliations (org_id, id, portfolio_id, status, tolerance_bp, holdings_total,
    requested_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	sqlReconciliationForUpdate = `SELECT ` + reconciliationColumns + ` FROM portfolio.reconciliations r WHERE r.id = $1 FOR UPDATE`
	sqlSaveReconciliation      = `UPDATE portfolio.reconciliations SET status = $2, ledger_cents = $3, abs_difference_cents = $4,
    holdings_total = $5, holdings_checked = $6, difference_count = $7, checkpoint_holding = $8, job_id = $9, completed_at = $10
WHERE id = $1`
	sqlAddDifferences = `INSERT INTO portfolio.reconciliation_differences (org_id, reconciliation_id, holding_id, property_id, measure,
    expected_cents, actual_cents, delta_cents)
SELECT $1, $2, h, p, m, e, a, d FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[]) AS x(h, p, m, e, a, d)`
	sqlGetReconciliation   = `SELECT ` + reconciliationColumns + ` FROM portfolio.reconciliations r WHERE r.portfolio_id = $1 AND r.id = $2`
	sqlReconciliationDiffs = `SELECT holding_id::text, property_id::text, measure, expected_cents, actual_cents, delta_cents
FROM portfolio.reconciliation_differences WHERE reconciliation_id = $1 ORDER BY holding_id, measure`
	sqlListReconciliations = `SELECT ` + reconciliationColumns + ` FROM portfolio.reconciliations r
WHERE r.portfolio_id = $1 AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2, $3::uuid))
ORDER BY r.created_at DESC, r.id DESC LIMIT $4`
)

var reconciliationsNewestFirst = postgres.SortKeyset("created_at", true, postgres.Timestamptz, "r.created_at", "r.id")

func scanReconciliation(row pgx.CollectableRow) (domain.Reconciliation, error) {
	var r domain.Reconciliation
	err := row.Scan(&r.ID, &r.PortfolioID, &r.Status, &r.ToleranceBP, &r.LedgerCents, &r.AbsDifferenceCents, &r.HoldingsTotal,
		&r.HoldingsChecked, &r.DifferenceCount, &r.Checkpoint, &r.JobID, &r.RequestedBy, &r.CreatedAt, &r.CompletedAt)
	return r, err
}

func (q reconciliationRepo) Create(ctx context.Context, orgID string, r domain.Reconciliation) error {
	if _, err := q.tx.Exec(ctx, sqlInsertReconciliation, orgID, r.ID, r.PortfolioID, r.Status, r.ToleranceBP, r.HoldingsTotal,
		r.RequestedBy, r.CreatedAt); err != nil {
		return fmt.Errorf("insert reconciliation: %w", err)
	}
	return nil
}

func (q reconciliationRepo) GetForUpdate(ctx context.Context, id string) (domain.Reconciliation, error) {
	rows, err := q.tx.Query(ctx, sqlReconciliationForUpdate, id)
	if err != nil {
		return domain.Reconciliation{}, fmt.Errorf("get reconciliation: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanReconciliation)
	return r, notFound(err, domain.ReasonReconciliationNotFound, "reconciliation")
}

func (q reconciliationRepo) Save(ctx context.Context, r domain.Reconciliation) error {
	if _, err := q.tx.Exec(ctx, sqlSaveReconciliation, r.ID, r.Status, r.LedgerCents, r.AbsDifferenceCents, r.HoldingsTotal,
		r.HoldingsChecked, r.DifferenceCount, r.Checkpoint, r.JobID, r.CompletedAt); err != nil {
		return fmt.Errorf("save reconciliation: %w", err)
	}
	return nil
}

// AddDifferences writes a batch's differences in one INSERT over arrays
// (COPY is refused on a table with row-level security).
func (q reconciliationRepo) AddDifferences(ctx context.Context, orgID, id string, diffs []domain.Difference) error {
	if len(diffs) == 0 {
		return nil
	}
	holdings, properties, measures := make([]string, len(diffs)), make([]string, len(diffs)), make([]string, len(diffs))
	expected, actual, delta := make([]int64, len(diffs)), make([]int64, len(diffs)), make([]int64, len(diffs))
	for i, d := range diffs {
		holdings[i], properties[i], measures[i] = d.HoldingID, d.PropertyID, d.Measure
		expected[i], actual[i], delta[i] = d.ExpectedCents, d.ActualCents, d.DeltaCents
	}
	if _, err := q.tx.Exec(ctx, sqlAddDifferences, orgID, id, holdings, properties, measures, expected, actual, delta); err != nil {
		return fmt.Errorf("add reconciliation differences: %w", err)
	}
	return nil
}

func (q reconciliationRepo) Get(ctx context.Context, portfolioID, id string) (domain.Reconciliation, error) {
	rows, err := q.tx.Query(ctx, sqlGetReconciliation, portfolioID, id)
	if err != nil {
		return domain.Reconciliation{}, fmt.Errorf("get reconciliation: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanReconciliation)
	if err != nil {
		return r, notFound(err, domain.ReasonReconciliationNotFound, "reconciliation")
	}
	rows, err = q.tx.Query(ctx, sqlReconciliationDiffs, id)
	if err != nil {
		return r, fmt.Errorf("reconciliation differences: %w", err)
	}
	r.Differences, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Difference, error) {
		var d domain.Difference
		err := row.Scan(&d.HoldingID, &d.PropertyID, &d.Measure, &d.ExpectedCents, &d.ActualCents, &d.DeltaCents)
		return d, err
	})
	if err != nil {
		return r, fmt.Errorf("reconciliation differences: %w", err)
	}
	return r, nil
}

func (q reconciliationRepo) List(ctx context.Context, portfolioID string, req app.PageRequest) (app.Page[domain.Reconciliation], error) {
	page, err := reconciliationsNewestFirst.Page(req.Cursor, req.Limit)
	if err != nil {
		return app.Page[domain.Reconciliation]{}, err
	}
	v, id, n := page.Args()
	rows, err := q.tx.Query(ctx, sqlListReconciliations, portfolioID, v, id, n)
	if err != nil {
		return app.Page[domain.Reconciliation]{}, fmt.Errorf("list reconciliations: %w", err)
	}
	return collectPage(page, rows, scanReconciliation, func(r domain.Reconciliation) (any, string) { return r.CreatedAt, r.ID })
}
