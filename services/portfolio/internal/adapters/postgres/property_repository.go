package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

const (
	sqlKnownProperty = `SELECT archived FROM portfolio.known_properties WHERE property_id = $1`
	// sqlUpsertKnownProperty: a NULL $3 keeps a known row's archived flag
	// (new rows start unarchived); archiving is sticky; updated_at only
	// moves forward.
	sqlUpsertKnownProperty = `INSERT INTO portfolio.known_properties (org_id, property_id, archived, updated_at)
VALUES ($1, $2, coalesce($3::boolean, false), $4)
ON CONFLICT (org_id, property_id) DO UPDATE
SET archived = portfolio.known_properties.archived OR coalesce($3::boolean, false),
    updated_at = greatest(portfolio.known_properties.updated_at, EXCLUDED.updated_at)`
	// sqlAddValuation: a valuation is final; a second copy is ignored.
	sqlAddValuation = `INSERT INTO portfolio.property_valuations (org_id, valuation_id, property_id, as_of, estimate_cents,
    low_cents, high_cents, confidence, method, completed_at, source, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
ON CONFLICT (org_id, valuation_id) DO NOTHING`
	// sqlMarksAt: the newest valuation as of $2 of each property the
	// portfolio holds.
	sqlMarksAt = `SELECT DISTINCT ON (v.property_id) v.valuation_id::text, v.property_id::text, v.as_of, v.estimate_cents,
    v.low_cents, v.high_cents, v.confidence, v.method, v.completed_at, v.source, v.recorded_at
FROM portfolio.property_valuations v
WHERE v.org_id = NULLIF(current_setting('app.org_id', true), '')::uuid AND v.as_of <= $2
  AND v.property_id IN (SELECT h.property_id FROM portfolio.holdings h WHERE h.portfolio_id = $1)
ORDER BY v.property_id, v.as_of DESC, v.completed_at DESC, v.valuation_id DESC`
)

var _ app.PropertyReadModel = propertyReadModel{}

func (m propertyReadModel) Known(ctx context.Context, propertyID string) (bool, bool, error) {
	var archived bool
	err := m.tx.QueryRow(ctx, sqlKnownProperty, propertyID).Scan(&archived)
	if err == pgx.ErrNoRows {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("known property: %w", err)
	}
	return true, archived, nil
}

func (m propertyReadModel) UpsertKnown(ctx context.Context, orgID, propertyID string, archived *bool, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlUpsertKnownProperty, orgID, propertyID, archived, at); err != nil {
		return fmt.Errorf("upsert known property: %w", err)
	}
	return nil
}

func (m propertyReadModel) AddValuation(ctx context.Context, orgID string, v domain.Mark) error {
	if _, err := m.tx.Exec(ctx, sqlAddValuation, orgID, v.ValuationID, v.PropertyID, v.AsOf, v.EstimateCents, v.LowCents,
		v.HighCents, v.Confidence, v.Method, v.CompletedAt, v.Source); err != nil {
		return fmt.Errorf("add valuation: %w", err)
	}
	return nil
}

func (m propertyReadModel) MarksAt(ctx context.Context, portfolioID string, day time.Time) (map[string]domain.Mark, error) {
	rows, err := m.tx.Query(ctx, sqlMarksAt, portfolioID, day)
	if err != nil {
		return nil, fmt.Errorf("marks: %w", err)
	}
	out := map[string]domain.Mark{}
	var v domain.Mark
	_, err = pgx.ForEachRow(rows, []any{&v.ValuationID, &v.PropertyID, &v.AsOf, &v.EstimateCents, &v.LowCents, &v.HighCents,
		&v.Confidence, &v.Method, &v.CompletedAt, &v.Source, &v.RecordedAt}, func() error {
		out[v.PropertyID] = v
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("marks: %w", err)
	}
	return out, nil
}

// PropertyEventHandler is the events.Handler of the property read model:
// app.ApplyPropertyEvent writing through the consumer's transaction (in
// which app.org_id is the event's organisation).
func PropertyEventHandler() events.Handler {
	return func(ctx context.Context, tx pgx.Tx, ev events.Event) error {
		return app.ApplyPropertyEvent(ctx, propertyReadModel{tx: tx}, ev)
	}
}
