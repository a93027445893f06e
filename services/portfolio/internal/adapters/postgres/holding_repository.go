package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/postgres"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

const (
	holdingColumns = `h.id::text, h.portfolio_id::text, h.property_id::text, h.acquired_on, h.status, h.sold_on,
    h.cost_basis_cents, h.proceeds_cents, h.income_cents, h.expense_cents, h.created_at, h.updated_at`
	sqlInsertHolding = `INSERT INTO portfolio.holdings (org_id, id, portfolio_id, property_id, acquired_on, status, sold_on,
    cost_basis_cents, proceeds_cents, income_cents, expense_cents, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`
	sqlGetHolding  = `SELECT ` + holdingColumns + ` FROM portfolio.holdings h WHERE h.portfolio_id = $1 AND h.id = $2`
	sqlSaveHolding = `UPDATE portfolio.holdings SET status = $2, sold_on = $3, cost_basis_cents = $4, proceeds_cents = $5,
    income_cents = $6, expense_cents = $7, updated_at = $8 WHERE id = $1`
	sqlHoldingBatch = `SELECT ` + holdingColumns + ` FROM portfolio.holdings h
WHERE h.portfolio_id = $1 AND ($2::uuid IS NULL OR h.id > $2) ORDER BY h.id LIMIT $3`
	sqlCountHoldings = `SELECT count(*) FROM portfolio.holdings WHERE portfolio_id = $1`
	// sqlMarkedHoldings: every holding with its property's newest
	// valuation as of $2 (one index probe of property_valuations_mark_idx
	// per holding).
	sqlMarkedHoldings = `SELECT ` + holdingColumns + `,
    m.valuation_id::text, m.as_of, m.estimate_cents, m.low_cents, m.high_cents, m.confidence, m.method, m.completed_at, m.source, m.recorded_at
FROM portfolio.holdings h
LEFT JOIN LATERAL (
    SELECT * FROM portfolio.property_valuations v
    WHERE v.org_id = h.org_id AND v.property_id = h.property_id AND v.as_of <= $2
    ORDER BY v.as_of DESC, v.completed_at DESC, v.valuation_id DESC LIMIT 1
) m ON true
WHERE h.portfolio_id = $1
ORDER BY h.id`
	// sqlPerformanceHoldings: the holdings acquired by $3 with the sums of
	// their entries before $2.
	sqlPerformanceHoldings = `SELECT h.id::text, h.property_id::text, h.acquired_on,
    coalesce(sum(t.amount_cents) FILTER (WHERE t.kind IN ('purchase', 'capital_improvement')), 0)::bigint,
    coalesce(sum(t.amount_cents) FILTER (WHERE t.kind = 'sale'), 0)::bigint,
    coalesce(sum(t.amount_cents) FILTER (WHERE t.kind = 'income'), 0)::bigint,
    coalesce(sum(t.amount_cents) FILTER (WHERE t.kind = 'expense'), 0)::bigint
FROM portfolio.holdings h
LEFT JOIN portfolio.transactions t ON t.org_id = h.org_id AND t.holding_id = h.id AND t.occurred_on < $2
WHERE h.portfolio_id = $1 AND h.acquired_on <= $3
GROUP BY h.id, h.property_id, h.acquired_on
ORDER BY h.id`
)

func scanHoldingInto(h *domain.Holding) []any {
	return []any{&h.ID, &h.PortfolioID, &h.PropertyID, &h.AcquiredOn, &h.Status, &h.SoldOn,
		&h.CostBasisCents, &h.ProceedsCents, &h.IncomeCents, &h.ExpenseCents, &h.CreatedAt, &h.UpdatedAt}
}

func scanHolding(row pgx.CollectableRow) (domain.Holding, error) {
	var h domain.Holding
	err := row.Scan(scanHoldingInto(&h)...)
	return h, err
}

func (r holdingRepo) Create(ctx context.Context, orgID string, h domain.Holding) error {
	_, err := r.tx.Exec(ctx, sqlInsertHolding, orgID, h.ID, h.PortfolioID, h.PropertyID, h.AcquiredOn, h.Status, h.SoldOn,
		h.CostBasisCents, h.ProceedsCents, h.IncomeCents, h.ExpenseCents, h.CreatedAt, h.UpdatedAt)
	if _, ok := postgres.IsUniqueViolation(err); ok {
		return apperr.Conflict(domain.ReasonPropertyHeld, "the portfolio holds property "+h.PropertyID+" already")
	}
	if err != nil {
		return fmt.Errorf("insert holding: %w", err)
	}
	return nil
}

func (r holdingRepo) Get(ctx context.Context, portfolioID, id string) (domain.Holding, error) {
	rows, err := r.tx.Query(ctx, sqlGetHolding, portfolioID, id)
	if err != nil {
		return domain.Holding{}, fmt.Errorf("get holding: %w", err)
	}
	h, err := pgx.CollectExactlyOneRow(rows, scanHolding)
	return h, notFound(err, domain.ReasonHoldingNotFound, "holding")
}

func (r holdingRepo) Save(ctx context.Context, h domain.Holding) error {
	if _, err := r.tx.Exec(ctx, sqlSaveHolding, h.ID, h.Status, h.SoldOn, h.CostBasisCents, h.ProceedsCents,
		h.IncomeCents, h.ExpenseCents, h.UpdatedAt); err != nil {
		return fmt.Errorf("save holding: %w", err)
	}
	return nil
}

func (r holdingRepo) Batch(ctx context.Context, portfolioID, afterID string, limit int) ([]domain.Holding, error) {
	var after any
	if afterID != "" {
		after = afterID
	}
	rows, err := r.tx.Query(ctx, sqlHoldingBatch, portfolioID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("holdings batch: %w", err)
	}
	hs, err := pgx.CollectRows(rows, scanHolding)
	if err != nil {
		return nil, fmt.Errorf("holdings batch: %w", err)
	}
	return hs, nil
}

func (r holdingRepo) Count(ctx context.Context, portfolioID string) (int, error) {
	var n int
	if err := r.tx.QueryRow(ctx, sqlCountHoldings, portfolioID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count holdings: %w", err)
	}
	return n, nil
}

func (r holdingRepo) Marked(ctx context.Context, portfolioID string, asOf time.Time) ([]app.MarkedHolding, error) {
	rows, err := r.tx.Query(ctx, sqlMarkedHoldings, portfolioID, asOf)
	if err != nil {
		return nil, fmt.Errorf("marked holdings: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.MarkedHolding, error) {
		var h app.MarkedHolding
		var m markRow
		if err := row.Scan(append(scanHoldingInto(&h.Holding), m.targets()...)...); err != nil {
			return h, err
		}
		h.Mark = m.mark(h.PropertyID)
		return h, nil
	})
	if err != nil {
		return nil, fmt.Errorf("marked holdings: %w", err)
	}
	return out, nil
}

func (r holdingRepo) ForPerformance(ctx context.Context, portfolioID string, from, to time.Time) ([]domain.PerfHolding, error) {
	rows, err := r.tx.Query(ctx, sqlPerformanceHoldings, portfolioID, from, to)
	if err != nil {
		return nil, fmt.Errorf("performance holdings: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.PerfHolding, error) {
		var h domain.PerfHolding
		b := &h.Before
		err := row.Scan(&h.ID, &h.PropertyID, &h.AcquiredOn, &b.CostBasis, &b.Proceeds, &b.Income, &b.Expenses)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("performance holdings: %w", err)
	}
	return out, nil
}

// markRow scans a mark's nullable columns (a LEFT JOIN's).
type markRow struct {
	id                      *string
	asOf                    *time.Time
	estimate, low, high     *int64
	confidence              *int
	method, source          *string
	completedAt, recordedAt *time.Time
}

func (m *markRow) targets() []any {
	return []any{&m.id, &m.asOf, &m.estimate, &m.low, &m.high, &m.confidence, &m.method, &m.completedAt, &m.source, &m.recordedAt}
}

func (m *markRow) mark(propertyID string) *domain.Mark {
	if m.id == nil {
		return nil
	}
	return &domain.Mark{ValuationID: *m.id, PropertyID: propertyID, AsOf: *m.asOf, EstimateCents: *m.estimate, LowCents: *m.low,
		HighCents: *m.high, Confidence: *m.confidence, Method: *m.method, CompletedAt: *m.completedAt, Source: *m.source,
		RecordedAt: *m.recordedAt}
}
