// Package postgres implements property's store and repositories on
// PostgreSQL. All of property's SQL lives here, as named constants (with
// the filter fragments a list query is assembled from); tables are
// schema-qualified (property.*) so no query depends on the search_path.
package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
)

// Store implements app.Store over a pool that runs as the service role.
type Store struct {
	pool   *pgxpool.Pool
	events *events.Publisher
	queue  *jobs.Queue
}

var _ app.Store = (*Store)(nil)

// NewStore returns a store over pool; events go to <schema>.outbox for the
// topic of the property context, jobs to queue.
func NewStore(pool *pgxpool.Pool, schema string, queue *jobs.Queue) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres: NewStore: nil pool")
	}
	if queue == nil {
		return nil, errors.New("postgres: NewStore: nil queue")
	}
	return &Store{pool: pool, events: events.NewPublisher(schema, "property", app.EventSource), queue: queue}, nil
}

// InOrg runs fn in a transaction with app.org_id = orgID.
func (s *Store) InOrg(ctx context.Context, orgID string, fn func(app.Tx) error) error {
	return postgres.InOrgTx(ctx, s.pool, orgID, func(tx pgx.Tx) error { return fn(&repos{tx: tx, store: s}) })
}

// repos is one transaction's view of every repository.
type repos struct {
	tx    pgx.Tx
	store *Store
}

func (r *repos) Properties() app.PropertyRepository { return propertyRepo{tx: r.tx} }
func (r *repos) History() app.HistoryRepository     { return historyRepo{tx: r.tx} }
func (r *repos) Listings() app.ListingRepository    { return listingRepo{tx: r.tx} }
func (r *repos) Events() app.Publisher              { return publisher{tx: r.tx, store: r.store} }

// Valuations and Jobs: automated valuations (valuation_repository.go, jobs.go).
func (r *repos) Valuations() app.ValuationRepository { return valuationRepo{tx: r.tx} }
func (r *repos) Jobs() app.Jobs                      { return jobQueue{tx: r.tx, queue: r.store.queue} }

type publisher struct {
	tx    pgx.Tx
	store *Store
}

// Publish builds the CloudEvent and enqueues it in the caller's transaction.
func (p publisher) Publish(ctx context.Context, eventType, key, orgID string, data any) error {
	return p.store.events.Publish(ctx, p.tx, orgID, events.Pending{Type: eventType, Subject: key, Key: key, Data: data})
}
