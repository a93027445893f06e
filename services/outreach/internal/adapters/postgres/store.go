// Package postgres implements outreach's store and repositories (app.Tx)
// and the audience read model on PostgreSQL. All of outreach's SQL lives
// here, as named constants (lists add whitelisted fragments); tables are
// schema-qualified (outreach.*) so no query depends on the search_path.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/postgres"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
)

// Store implements app.Store over a pool that runs as the service role.
type Store struct {
	pool   *pgxpool.Pool
	events *events.Publisher
	queue  *jobs.Queue
}

var _ app.Store = (*Store)(nil)

// NewStore returns a store over pool; events go to <schema>.outbox and
// jobs to queue.
func NewStore(pool *pgxpool.Pool, schema string, queue *jobs.Queue) (*Store, error) {
	if pool == nil || queue == nil {
		return nil, errors.New("postgres: NewStore: nil pool or queue")
	}
	return &Store{pool: pool, events: events.NewPublisher(schema, "outreach", app.EventSource), queue: queue}, nil
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

func (r *repos) Settings() app.SettingsRepository     { return settingsRepo{tx: r.tx} }
func (r *repos) Templates() app.TemplateRepository    { return templateRepo{tx: r.tx} }
func (r *repos) Campaigns() app.CampaignRepository    { return campaignRepo{tx: r.tx} }
func (r *repos) Compliance() app.ComplianceRepository { return complianceRepo{tx: r.tx} }
func (r *repos) Audience() app.AudienceDirectory      { return audienceDirectory{tx: r.tx} }
func (r *repos) Events() app.Publisher                { return publisher{tx: r.tx, store: r.store} }
func (r *repos) Engine() app.EngineRepository         { return engineRepo{tx: r.tx} }
func (r *repos) Attempts() app.AttemptRepository      { return attemptRepo{tx: r.tx} }
func (r *repos) Deliverability() app.DeliverabilityRepository {
	return deliverabilityRepo{tx: r.tx}
}
func (r *repos) Jobs() app.JobQueue { return jobQueue{tx: r.tx, queue: r.store.queue} }

// The repositories, each over the transaction (in the files named after them).
type (
	settingsRepo       struct{ tx pgx.Tx }
	templateRepo       struct{ tx pgx.Tx }
	campaignRepo       struct{ tx pgx.Tx }
	complianceRepo     struct{ tx pgx.Tx }
	audienceDirectory  struct{ tx pgx.Tx }
	engineRepo         struct{ tx pgx.Tx }
	attemptRepo        struct{ tx pgx.Tx }
	deliverabilityRepo struct{ tx pgx.Tx }
	jobQueue           struct {
		tx    pgx.Tx
		queue *jobs.Queue
	}
)

// publisher turns the app's events into events.Pending (subject
// "<aggregate>/<id>", keyed by the aggregate id) for the context's
// publisher, in the transaction.
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

// newestFirst is the keyset of the lists ordered by creation, newest
// first, on the columns of alias.
func newestFirst(alias string) postgres.Keyset {
	return postgres.SortKeyset("created_at", true, postgres.Timestamptz, alias+".created_at", alias+".id")
}

// collectPage reads a page query's rows into the app's page.
func collectPage[T any](p postgres.Page, rows pgx.Rows, scan func(pgx.CollectableRow) (T, error),
	key func(T) (any, string)) (app.Page[T], error) {
	items, next, err := postgres.CollectPage(p, rows, scan, key)
	return app.Page[T]{Items: items, Next: next}, err
}

// listQuery is a filtered list's SQL: a base SELECT … WHERE true, each
// filter's condition with its bound values, then the page's seek and
// order (listPage).
type listQuery struct {
	sb   strings.Builder
	args []any
}

func newListQuery(base string) *listQuery {
	q := &listQuery{}
	q.sb.WriteString(base)
	return q
}

// arg binds v and returns its placeholder.
func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// and adds a condition.
func (q *listQuery) and(cond string) { q.sb.WriteString(" AND " + cond) }

// listPage runs q for page p and reads its rows into a page (what names
// the list in errors).
func listPage[T any](ctx context.Context, tx pgx.Tx, q *listQuery, p postgres.Page, what string,
	scan func(pgx.CollectableRow) (T, error), key func(T) (any, string)) (app.Page[T], error) {
	cond, tail := p.Seek(q.arg)
	if cond != "" {
		q.and(cond)
	}
	q.sb.WriteString(tail)
	rows, err := tx.Query(ctx, q.sb.String(), q.args...)
	if err != nil {
		return app.Page[T]{}, fmt.Errorf("%s: %w", what, err)
	}
	page, err := collectPage(p, rows, scan, key)
	if err != nil {
		return page, fmt.Errorf("%s: %w", what, err)
	}
	return page, nil
}
