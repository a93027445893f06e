// Package postgres implements platform's store (app.WebhookStore) on
// PostgreSQL. All of platform's SQL lives here, as named constants; tables
// are schema-qualified (platform.*).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/events"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/postgres"
	"reos.dev/services/platform/internal/app"
)

// DeliveryKind is the job kind of a webhook delivery.
const DeliveryKind = "webhook_delivery"

// DeliveryArgs is the job that makes a message's next attempt.
type DeliveryArgs struct {
	OrgID     uuid.UUID `json:"org_id"`
	MessageID string    `json:"message_id"`
}

// Kind is River's job kind.
func (DeliveryArgs) Kind() string { return DeliveryKind }

// Org is the organisation the job works for.
func (a DeliveryArgs) Org() uuid.UUID { return a.OrgID }

// Store implements app.WebhookStore over a pool that runs as the service role.
type Store struct {
	pool   *pgxpool.Pool
	queue  *jobs.Queue
	outbox *events.Outbox
	topic  string
}

var _ app.WebhookStore = (*Store)(nil)

// NewStore returns a store over pool; jobs go to queue, events to
// <schema>.outbox.
func NewStore(pool *pgxpool.Pool, schema string, queue *jobs.Queue) (*Store, error) {
	if pool == nil || queue == nil {
		return nil, errors.New("postgres: NewStore: nil pool or queue")
	}
	return &Store{pool: pool, queue: queue, outbox: events.NewOutbox(schema), topic: events.Topic("platform")}, nil
}

// InOrg runs fn in a transaction with app.org_id = orgID.
func (s *Store) InOrg(ctx context.Context, orgID string, fn func(app.WebhookTx) error) error {
	return postgres.InOrgTx(ctx, s.pool, orgID, func(tx pgx.Tx) error { return fn(&webhookTx{tx: tx, store: s}) })
}

// EventHandler is the consumers' handler: each domain event, in the
// consumer's transaction (app.org_id the event's), joins the history and
// is fanned out to the webhooks by w.
func (s *Store) EventHandler(w *app.Webhooks) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, ev events.Event) error {
		wtx := &webhookTx{tx: tx, store: s}
		e := app.Event{ID: ev.ID, Type: app.WebhookType(ev.Type), Subject: ev.Subject, OrgID: ev.OrgID, Time: ev.Time, Data: ev.Data}
		if err := app.RecordEvent(ctx, wtx, e, ev.Type, ev.Source); err != nil {
			return err
		}
		return w.Fanout(ctx, wtx, e)
	}
}

type webhookTx struct {
	tx    pgx.Tx
	store *Store
}

var _ app.WebhookTx = (*webhookTx)(nil)

const (
	endpointCols = `e.id::text, e.org_id::text, e.url, e.description, e.event_types, e.secret, coalesce(e.previous_secret, ''),
e.previous_until, e.enabled, e.disabled_reason, e.failing_since, e.created_at, e.updated_at`
	sqlInsertEndpoint = `INSERT INTO platform.webhook_endpoints (id, org_id, url, description, event_types, secret, enabled, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	sqlGetEndpoint   = `SELECT ` + endpointCols + ` FROM platform.webhook_endpoints e WHERE e.id = $1`
	sqlListEndpoints = `SELECT ` + endpointCols + ` FROM platform.webhook_endpoints e
WHERE ($1::timestamptz IS NULL OR (e.created_at, e.id) < ($1, $2::uuid)) ORDER BY e.created_at DESC, e.id DESC LIMIT $3`
	sqlEnabledEndpoints = `SELECT ` + endpointCols + ` FROM platform.webhook_endpoints e WHERE e.enabled`
	sqlUpdateEndpoint   = `UPDATE platform.webhook_endpoints SET url = $2, description = $3, event_types = $4, secret = $5,
previous_secret = nullif($6, ''), previous_until = $7, enabled = $8, disabled_reason = $9, failing_since = $10, updated_at = $11 WHERE id = $1`
	sqlDeleteEndpoint = `DELETE FROM platform.webhook_endpoints WHERE id = $1`
	sqlInsertMessage  = `INSERT INTO platform.webhook_messages (id, org_id, endpoint_id, event_id, event_type, payload, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (endpoint_id, event_id) DO NOTHING`
	sqlGetMessage = `SELECT id, endpoint_id::text, event_id, event_type, payload, created_at FROM platform.webhook_messages WHERE id = $1`
	sqlAttempts   = `SELECT count(*) FROM platform.webhook_logs WHERE message_id = $1`
	sqlInsertLog  = `INSERT INTO platform.webhook_logs (org_id, endpoint_id, message_id, attempt, verdict, status, duration_ms, response_excerpt, error, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`
	sqlListLogs = `SELECT l.id, l.endpoint_id::text, l.message_id, m.event_type, l.attempt, l.verdict, l.status, l.duration_ms,
l.response_excerpt, l.error, l.at
FROM platform.webhook_logs l JOIN platform.webhook_messages m ON m.id = l.message_id
WHERE l.endpoint_id = $1 AND ($2::bigint IS NULL OR l.id < $2) ORDER BY l.id DESC LIMIT $3`
)

var endpointKeyset = postgres.SortKeyset("created_at", true, postgres.Timestamptz, "e.created_at", "e.id")

func scanEndpoint(row pgx.CollectableRow) (app.Endpoint, error) {
	var e app.Endpoint
	err := row.Scan(&e.ID, &e.OrgID, &e.URL, &e.Description, &e.EventTypes, &e.Secret, &e.PreviousSecret,
		&e.PreviousUntil, &e.Enabled, &e.DisabledReason, &e.FailingSince, &e.CreatedAt, &e.UpdatedAt)
	return e, err
}

func endpointNotFound() error {
	return apperr.NotFound(app.ReasonEndpointNotFound, "no such webhook endpoint")
}

func (r *webhookTx) CreateEndpoint(ctx context.Context, e app.Endpoint) error {
	_, err := r.tx.Exec(ctx, sqlInsertEndpoint, e.ID, e.OrgID, e.URL, e.Description, e.EventTypes, e.Secret, e.Enabled, e.CreatedAt, e.UpdatedAt)
	return err
}

func (r *webhookTx) Endpoint(ctx context.Context, id string) (app.Endpoint, error) {
	if uuid.Validate(id) != nil {
		return app.Endpoint{}, endpointNotFound()
	}
	rows, _ := r.tx.Query(ctx, sqlGetEndpoint, id)
	e, err := pgx.CollectExactlyOneRow(rows, scanEndpoint)
	if postgres.IsNoRows(err) {
		return app.Endpoint{}, endpointNotFound()
	}
	return e, err
}

func (r *webhookTx) ListEndpoints(ctx context.Context, pr app.PageRequest) (app.Page[app.Endpoint], error) {
	p, err := endpointKeyset.Page(pr.Cursor, pr.Limit)
	if err != nil {
		return app.Page[app.Endpoint]{}, err
	}
	v, id, n := p.Args()
	rows, err := r.tx.Query(ctx, sqlListEndpoints, v, id, n)
	if err != nil {
		return app.Page[app.Endpoint]{}, fmt.Errorf("list webhook endpoints: %w", err)
	}
	items, next, err := postgres.CollectPage(p, rows, scanEndpoint, func(e app.Endpoint) (any, string) { return e.CreatedAt, e.ID })
	return app.Page[app.Endpoint]{Items: items, Next: next}, err
}

func (r *webhookTx) EnabledEndpoints(ctx context.Context) ([]app.Endpoint, error) {
	rows, err := r.tx.Query(ctx, sqlEnabledEndpoints)
	if err != nil {
		return nil, fmt.Errorf("enabled webhook endpoints: %w", err)
	}
	return pgx.CollectRows(rows, scanEndpoint)
}

func (r *webhookTx) UpdateEndpoint(ctx context.Context, e app.Endpoint) error {
	tag, err := r.tx.Exec(ctx, sqlUpdateEndpoint, e.ID, e.URL, e.Description, e.EventTypes, e.Secret, e.PreviousSecret,
		e.PreviousUntil, e.Enabled, e.DisabledReason, e.FailingSince, e.UpdatedAt)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return endpointNotFound()
	}
	return nil
}

func (r *webhookTx) DeleteEndpoint(ctx context.Context, id string) error {
	if uuid.Validate(id) != nil {
		return endpointNotFound()
	}
	tag, err := r.tx.Exec(ctx, sqlDeleteEndpoint, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return endpointNotFound()
	}
	return nil
}

func (r *webhookTx) CreateMessage(ctx context.Context, orgID string, m app.Message) (bool, error) {
	tag, err := r.tx.Exec(ctx, sqlInsertMessage, m.ID, orgID, m.EndpointID, m.EventID, m.EventType, m.Payload, m.CreatedAt)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func (r *webhookTx) Message(ctx context.Context, id string) (app.Message, error) {
	var m app.Message
	err := r.tx.QueryRow(ctx, sqlGetMessage, id).Scan(&m.ID, &m.EndpointID, &m.EventID, &m.EventType, &m.Payload, &m.CreatedAt)
	if postgres.IsNoRows(err) {
		return app.Message{}, apperr.NotFound(app.ReasonMessageNotFound, "no such webhook message")
	}
	return m, err
}

func (r *webhookTx) Attempts(ctx context.Context, messageID string) (int, error) {
	var n int
	err := r.tx.QueryRow(ctx, sqlAttempts, messageID).Scan(&n)
	return n, err
}

func (r *webhookTx) AddLog(ctx context.Context, orgID string, l app.Log) error {
	return r.tx.QueryRow(ctx, sqlInsertLog, orgID, l.EndpointID, l.MessageID, l.Attempt, l.Verdict, l.Status, l.DurationMS,
		l.ResponseExcerpt, l.Error, l.At).Scan(&l.ID)
}

func (r *webhookTx) ListLogs(ctx context.Context, endpointID string, pr app.PageRequest) (app.Page[app.Log], error) {
	var after *int64
	if pr.Cursor != "" {
		var n int64
		if _, err := fmt.Sscan(pr.Cursor, &n); err != nil || n < 1 || fmt.Sprint(n) != pr.Cursor {
			return app.Page[app.Log]{}, postgres.BadCursor()
		}
		after = &n
	}
	rows, err := r.tx.Query(ctx, sqlListLogs, endpointID, after, pr.Limit+1)
	if err != nil {
		return app.Page[app.Log]{}, fmt.Errorf("list webhook logs: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.Log, error) {
		var l app.Log
		err := row.Scan(&l.ID, &l.EndpointID, &l.MessageID, &l.EventType, &l.Attempt, &l.Verdict, &l.Status, &l.DurationMS,
			&l.ResponseExcerpt, &l.Error, &l.At)
		return l, err
	})
	if err != nil {
		return app.Page[app.Log]{}, err
	}
	var next string
	if len(items) > pr.Limit {
		items = items[:pr.Limit]
		next = fmt.Sprint(items[len(items)-1].ID)
	}
	return app.Page[app.Log]{Items: items, Next: next}, nil
}

func (r *webhookTx) EnqueueDelivery(ctx context.Context, orgID, messageID string, at time.Time) error {
	org, err := uuid.Parse(orgID)
	if err != nil {
		return err
	}
	_, err = r.store.queue.Insert(ctx, r.tx, DeliveryArgs{OrgID: org, MessageID: messageID}, &river.InsertOpts{Queue: jobs.QueueDefault, ScheduledAt: at})
	return err
}

func (r *webhookTx) Publish(ctx context.Context, orgID, eventType, subject string, data any) error {
	ev, err := events.New(app.EventSource, eventType, subject, orgID, data)
	if err != nil {
		return fmt.Errorf("build %s event: %w", eventType, err)
	}
	return r.store.outbox.Enqueue(ctx, r.tx, r.store.topic, subject, ev)
}
