// Package postgres implements portfolio's store and repositories (app.Tx)
// and the property read model on PostgreSQL. All of portfolio's SQL lives
// here, as named constants; tables are schema-qualified (portfolio.*) so no
// query depends on the search_path.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/postgres"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

// Store implements app.Store over a pool that runs as the service role.
type Store struct {
	pool   *pgxpool.Pool
	events *events.Publisher
	queue  *jobs.Queue
}

var _ app.Store = (*Store)(nil)

// NewStore returns a store over pool; events go to <schema>.outbox, jobs
// to queue.
func NewStore(pool *pgxpool.Pool, schema string, queue *jobs.Queue) (*Store, error) {
	if pool == nil || queue == nil {
		return nil, errors.New("postgres: NewStore: nil pool or queue")
	}
	return &Store{pool: pool, events: events.NewPublisher(schema, "portfolio", app.EventSource), queue: queue}, nil
}

// InOrg runs fn in a transaction with app.org_id = orgID.
func (s *Store) InOrg(ctx context.Context, orgID string, fn func(app.Tx) error) error {
	return postgres.InOrgTx(ctx, s.pool, orgID, func(tx pgx.Tx) error { return fn(&repos{tx: tx, store: s}) })
}

// repos is app.Tx: one transaction's view of every repository.
type repos struct {
	tx    pgx.Tx
	store *Store
}

var _ app.Tx = (*repos)(nil)

func (r *repos) Portfolios() app.PortfolioRepository { return portfolioRepo{tx: r.tx} }
func (r *repos) Holdings() app.HoldingRepository     { return holdingRepo{tx: r.tx} }
func (r *repos) Ledger() app.LedgerRepository        { return ledgerRepo{tx: r.tx} }
func (r *repos) Properties() app.PropertyReadModel   { return propertyReadModel{tx: r.tx} }
func (r *repos) Reconciliations() app.ReconciliationRepository {
	return reconciliationRepo{tx: r.tx}
}
func (r *repos) Jobs() app.JobQueue    { return jobQueue{tx: r.tx, queue: r.store.queue} }
func (r *repos) Events() app.Publisher { return publisher{tx: r.tx, store: r.store} }

// The repositories, each over the transaction (in the files named after them).
type (
	portfolioRepo      struct{ tx pgx.Tx }
	holdingRepo        struct{ tx pgx.Tx }
	ledgerRepo         struct{ tx pgx.Tx }
	propertyReadModel  struct{ tx pgx.Tx }
	reconciliationRepo struct{ tx pgx.Tx }
	jobQueue           struct {
		tx    pgx.Tx
		queue *jobs.Queue
	}
)

// publisher wraps the app's events in their CloudEvents envelopes (source
// app.EventSource, subject "<aggregate>/<id>") and writes them to the
// outbox keyed by the aggregate id.
type publisher struct {
	tx    pgx.Tx
	store *Store
}

func (p publisher) Publish(ctx context.Context, orgID string, evs ...app.Event) error {
	pending := make([]events.Pending, len(evs))
	for i, e := range evs {
		if e.Aggregate == "" || e.ID == "" {
			return fmt.Errorf("publish %s: no aggregate (%q) or id (%q)", e.Type, e.Aggregate, e.ID)
		}
		pending[i] = events.Pending{Type: e.Type, Subject: e.Aggregate + "/" + e.ID, Key: e.ID, Data: e.Data}
	}
	return p.store.events.Publish(ctx, p.tx, orgID, pending...)
}

// notFound maps "no rows" to the not-found error of what.
func notFound(err error, reason, what string) error {
	if postgres.IsNoRows(err) {
		return domain.ErrNotFound(reason, what)
	}
	return err
}

// collectPage reads a page query's rows into the app's page.
func collectPage[T any](p postgres.Page, rows pgx.Rows, scan func(pgx.CollectableRow) (T, error),
	key func(T) (any, string)) (app.Page[T], error) {
	items, next, err := postgres.CollectPage(p, rows, scan, key)
	return app.Page[T]{Items: items, Next: next}, err
}
