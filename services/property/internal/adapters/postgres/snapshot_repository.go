package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
)

const (
	sqlPropertyOrgIDsAfter = `SELECT id FROM property.property_org_ids_after($1::uuid, $2) AS id`
	// FOR KEY SHARE conflicts with the FOR UPDATE of updates and archiving
	// (GetForUpdate) and with nothing else (imports and creates insert).
	// Under READ COMMITTED a row that such a change held is read, once the
	// change commits, as it committed: one statement suffices.
	sqlPropertySnapshots = `SELECT id, listing_key, property_type, standard_status, list_price_cents, city, postal_code,
	archived_at IS NOT NULL
	FROM property.properties WHERE org_id = $1 AND id > $2::uuid ORDER BY id LIMIT $3 FOR KEY SHARE`
)

// SnapshotStore implements app.SnapshotStore (property republish) over a
// pool that runs as the service role.
type SnapshotStore struct {
	store *Store
}

var _ app.SnapshotStore = SnapshotStore{}

// NewSnapshotStore returns a snapshot store over pool writing to
// <schema>.outbox for the property topic. It needs no job queue.
func NewSnapshotStore(pool *pgxpool.Pool, schema string) (SnapshotStore, error) {
	if pool == nil {
		return SnapshotStore{}, errors.New("postgres: NewSnapshotStore: nil pool")
	}
	return SnapshotStore{store: &Store{pool: pool, events: events.NewPublisher(schema, "property", app.EventSource)}}, nil
}

// OrgIDs pages through the organisations that have properties with the
// SECURITY DEFINER function property_org_ids_after (row-level security
// shows the service role one organisation at a time).
func (s SnapshotStore) OrgIDs(ctx context.Context, after string, limit int) ([]string, error) {
	return postgres.IDsAfter(ctx, s.store.pool, "organisation ids", sqlPropertyOrgIDsAfter, after, limit)
}

// InOrg runs fn in a transaction with app.org_id = orgID.
func (s SnapshotStore) InOrg(ctx context.Context, orgID string, fn func(app.SnapshotTx) error) error {
	return postgres.InOrgTx(ctx, s.store.pool, orgID, func(tx pgx.Tx) error {
		return fn(snapshotTx{publisher: publisher{tx: tx, store: s.store}, org: orgID})
	})
}

// snapshotTx is app.SnapshotTx over one transaction of org; its
// PublishAll is the store's.
type snapshotTx struct {
	publisher
	org string
}

func (t snapshotTx) Properties(ctx context.Context, after string, limit int) ([]app.PropertySnapshot, error) {
	rows, err := t.tx.Query(ctx, sqlPropertySnapshots, t.org, postgres.IDStart(after), limit)
	if err != nil {
		return nil, fmt.Errorf("read properties: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.PropertySnapshot, error) {
		var p app.PropertySnapshot
		err := row.Scan(&p.ID, &p.ListingKey, &p.PropertyType, &p.StandardStatus, &p.ListPriceCents, &p.City,
			&p.PostalCode, &p.Archived)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read properties: %w", err)
	}
	return out, nil
}
