// Package postgres implements crm's store and repositories (app.Tx) on
// PostgreSQL. All of crm's SQL lives here, as named constants (the list
// queries add whitelisted filter fragments); tables are schema-qualified
// (crm.*) so the queries do not depend on the connection's search_path.
// It also owns what is infrastructure to the app: keyset cursors
// (page.go) and the CloudEvents envelope of the app's events.
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
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// Store implements app.Store over a pool that runs as the service role.
type Store struct {
	pool   *pgxpool.Pool
	events *events.Publisher
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
	return &Store{pool: pool, events: events.NewPublisher(schema, "crm", app.EventSource), queue: queue}, nil
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

func (r *repos) Leads() app.LeadRepository          { return leadRepo{tx: r.tx} }
func (r *repos) Activities() app.ActivityRepository { return activityRepo{tx: r.tx} }
func (r *repos) Scores() app.ScoreRepository        { return scoreRepo{tx: r.tx} }
func (r *repos) Contacts() app.ContactRepository    { return contactRepo{tx: r.tx} }
func (r *repos) Deals() app.DealRepository          { return dealRepo{tx: r.tx} }
func (r *repos) Documents() app.DocumentRepository  { return documentRepo{tx: r.tx} }
func (r *repos) Catalog() app.CatalogRepository     { return catalogRepo{tx: r.tx} }
func (r *repos) Rules() app.RuleRepository          { return ruleRepo{tx: r.tx} }
func (r *repos) Imports() app.ImportRepository      { return importRepo{tx: r.tx} }
func (r *repos) Users() app.UserDirectory           { return userDirectory{tx: r.tx} }
func (r *repos) Properties() app.PropertyDirectory  { return propertyDirectory{tx: r.tx} }
func (r *repos) Jobs() app.JobQueue                 { return jobQueue{tx: r.tx, queue: r.store.queue} }
func (r *repos) Events() app.Publisher              { return publisher{tx: r.tx, store: r.store} }

// The repositories, each over the transaction (in the files named after
// them).
type (
	leadRepo          struct{ tx pgx.Tx }
	activityRepo      struct{ tx pgx.Tx }
	scoreRepo         struct{ tx pgx.Tx }
	contactRepo       struct{ tx pgx.Tx }
	dealRepo          struct{ tx pgx.Tx }
	documentRepo      struct{ tx pgx.Tx }
	catalogRepo       struct{ tx pgx.Tx }
	ruleRepo          struct{ tx pgx.Tx }
	importRepo        struct{ tx pgx.Tx }
	userDirectory     struct{ tx pgx.Tx }
	propertyDirectory struct{ tx pgx.Tx }
	// jobQueue inserts jobs into the queue in the transaction.
	jobQueue struct {
		tx    pgx.Tx
		queue *jobs.Queue
	}
)

// publisher wraps the app's events in their CloudEvents envelopes (source
// app.EventSource, subject "<aggregate>/<id>") and writes them to the outbox
// keyed by the aggregate id: one INSERT for one event, one COPY for a batch
// (an import's).
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

// expectOne reports what as not found when the statement touched no row.
func expectOne(tag interface{ RowsAffected() int64 }, reason, what string) error {
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound(reason, what)
	}
	return nil
}
