// Package postgres implements crm's store on PostgreSQL. All of crm's SQL
// lives here, as named constants (the list queries add whitelisted filter
// fragments); tables are schema-qualified (crm.*) so the queries do not
// depend on the connection's search_path.
package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// Store implements app.Store over a pool that runs as the service role.
type Store struct {
	pool   *pgxpool.Pool
	outbox *events.Outbox
	topic  string
	// queue takes the jobs changes cause, in their transaction.
	queue *jobs.Queue
}

var _ app.Store = (*Store)(nil)

// NewStore returns a store over pool; events go to <schema>.outbox, jobs
// to queue.
func NewStore(pool *pgxpool.Pool, schema string, queue *jobs.Queue) (*Store, error) {
	if pool == nil || queue == nil {
		return nil, errors.New("postgres: NewStore: nil pool or queue")
	}
	return &Store{pool: pool, outbox: events.NewOutbox(schema), topic: events.Topic("crm"), queue: queue}, nil
}

// InOrg runs fn in a transaction with app.org_id = orgID.
func (s *Store) InOrg(ctx context.Context, orgID string, fn func(app.Tx) error) error {
	return postgres.InOrgTx(ctx, s.pool, orgID, func(tx pgx.Tx) error { return fn(&repo{tx: tx, store: s}) })
}

// repo is app.Tx over one transaction.
type repo struct {
	tx    pgx.Tx
	store *Store
}

var _ app.Tx = (*repo)(nil)

// Enqueue writes ev to the outbox in this transaction.
func (r *repo) Enqueue(ctx context.Context, key string, ev events.Event) error {
	return r.store.outbox.Enqueue(ctx, r.tx, r.store.topic, key, ev)
}

// notFound maps "no rows" to the not-found error of what.
func notFound(err error, reason, what string) error {
	if postgres.IsNoRows(err) {
		return domain.ErrNotFound(reason, what)
	}
	return err
}

// expectOne reports what as not found when the statement touched no row.
func expectOne(tag interface{ RowsAffected() int64 }, reason, what string) error {
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound(reason, what)
	}
	return nil
}
