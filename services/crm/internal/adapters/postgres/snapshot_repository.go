package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

const (
	sqlOrgIDsAfter = `SELECT id FROM crm.crm_org_ids_after($1::uuid, $2) AS id`
	// FOR SHARE, not property's FOR KEY SHARE: a contact is changed by a
	// plain UPDATE (a PUT, a lead form's or an import's fill), whose lock
	// conflicts with FOR SHARE only; new leads on the contact (their
	// foreign key takes FOR KEY SHARE) do not wait. Under READ COMMITTED
	// a row such a change held is read, once it commits, as it committed.
	sqlContactSnapshots = `SELECT ` + contactColumns + ` FROM crm.contacts c
WHERE c.org_id = $1 AND c.id > $2::uuid ORDER BY c.id LIMIT $3 FOR SHARE OF c`
	sqlLeadSnapshots = `SELECT ` + leadColumns + ` FROM ` + leadTables + `
WHERE l.org_id = $1 AND l.id > $2::uuid ORDER BY l.id LIMIT $3 FOR SHARE OF l`
)

// SnapshotStore implements app.SnapshotStore (`crm republish`) over a pool
// that runs as the service role.
type SnapshotStore struct {
	store *Store
}

var _ app.SnapshotStore = SnapshotStore{}

// NewSnapshotStore returns a snapshot store over pool writing to
// <schema>.outbox for crm's topic. It needs no job queue.
func NewSnapshotStore(pool *pgxpool.Pool, schema string) (SnapshotStore, error) {
	if pool == nil {
		return SnapshotStore{}, errors.New("postgres: NewSnapshotStore: nil pool")
	}
	return SnapshotStore{store: &Store{pool: pool, events: events.NewPublisher(schema, "crm", app.EventSource)}}, nil
}

// OrgIDs pages through the organisations that have contacts with the
// SECURITY DEFINER function crm_org_ids_after (row-level security shows
// the service role one organisation at a time).
func (s SnapshotStore) OrgIDs(ctx context.Context, after string, limit int) ([]string, error) {
	return postgres.IDsAfter(ctx, s.store.pool, "organisation ids", sqlOrgIDsAfter, after, limit)
}

// InOrg runs fn in a transaction with app.org_id = orgID.
func (s SnapshotStore) InOrg(ctx context.Context, orgID string, fn func(app.SnapshotTx) error) error {
	return postgres.InOrgTx(ctx, s.store.pool, orgID, func(tx pgx.Tx) error {
		return fn(snapshotTx{publisher: publisher{tx: tx, store: s.store}, org: orgID})
	})
}

// snapshotTx is app.SnapshotTx over one transaction of org; its Publish
// is the store's publisher.
type snapshotTx struct {
	publisher
	org string
}

func (t snapshotTx) Contacts(ctx context.Context, after string, limit int) ([]domain.Contact, error) {
	rows, err := t.tx.Query(ctx, sqlContactSnapshots, t.org, postgres.IDStart(after), limit)
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Contact, error) { return scanContact(row) })
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	return out, nil
}

func (t snapshotTx) Leads(ctx context.Context, after string, limit int) ([]app.LeadRow, error) {
	rows, err := t.tx.Query(ctx, sqlLeadSnapshots, t.org, postgres.IDStart(after), limit)
	if err != nil {
		return nil, fmt.Errorf("read leads: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.LeadRow, error) { return scanLead(row) })
	if err != nil {
		return nil, fmt.Errorf("read leads: %w", err)
	}
	return out, nil
}
