package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/services/crm/internal/app"
)

const (
	// sqlKnownProperties reads the read model; row-level security limits it
	// to the transaction's organisation.
	sqlKnownProperties = `SELECT property_id, archived FROM crm.known_properties WHERE property_id = ANY($1::uuid[])`
	// sqlUpsertKnownProperty: a NULL $3 keeps a known row's archived flag
	// (new rows start unarchived); updated_at only moves forward.
	sqlUpsertKnownProperty = `INSERT INTO crm.known_properties (org_id, property_id, archived, updated_at)
VALUES ($1, $2, coalesce($3::boolean, false), $4)
ON CONFLICT (org_id, property_id) DO UPDATE
SET archived = coalesce($3::boolean, crm.known_properties.archived),
    updated_at = greatest(crm.known_properties.updated_at, EXCLUDED.updated_at)`
)

func (r propertyDirectory) Known(ctx context.Context, ids []string) (map[string]bool, error) {
	rows, err := r.tx.Query(ctx, sqlKnownProperties, ids)
	if err != nil {
		return nil, fmt.Errorf("known properties: %w", err)
	}
	known := make(map[string]bool, len(ids))
	var id string
	var archived bool
	_, err = pgx.ForEachRow(rows, []any{&id, &archived}, func() error {
		known[id] = archived
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("known properties: %w", err)
	}
	return known, nil
}

// propertyReadModel is app.PropertyReadModel over the consumer's transaction.
type propertyReadModel struct{ tx pgx.Tx }

var _ app.PropertyReadModel = propertyReadModel{}

func (m propertyReadModel) UpsertKnownProperty(ctx context.Context, orgID, propertyID string, archived *bool, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlUpsertKnownProperty, orgID, propertyID, archived, at); err != nil {
		return fmt.Errorf("upsert known property: %w", err)
	}
	return nil
}

// PropertyEventHandler is the events.Handler of the property read model:
// app.ApplyPropertyEvent writing through the consumer's transaction (in
// which app.org_id is the event's organisation).
func PropertyEventHandler() events.Handler {
	return func(ctx context.Context, tx pgx.Tx, ev events.Event) error {
		return app.ApplyPropertyEvent(ctx, propertyReadModel{tx: tx}, ev)
	}
}
