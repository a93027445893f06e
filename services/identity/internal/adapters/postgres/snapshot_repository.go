package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/postgres"
	"reos.dev/services/identity/internal/app"
)

const (
	sqlOrgIDsAfter = `SELECT id FROM identity.organization_ids_after($1::uuid, $2) AS id`

	// Snapshots lock first and read after, in two statements: under READ
	// COMMITTED the second statement sees every change that committed
	// while the first waited for its locks. FOR KEY SHARE conflicts with
	// the FOR UPDATE that role changes, deletions and membership changes
	// take on the user or team (GetForUpdate) and with nothing else, so
	// logins and profile edits never wait for a republish.
	sqlUserSnapshotLock = `SELECT id FROM identity.users WHERE org_id = $1 AND id > $2::uuid ORDER BY id LIMIT $3 FOR KEY SHARE`
	sqlUserSnapshotRead = `SELECT u.id, u.email, u.full_name, u.deleted_at IS NOT NULL,
	COALESCE((SELECT array_agg(r.name ORDER BY r.name)
	          FROM identity.user_roles ur JOIN identity.roles r ON r.id = ur.role_id
	          WHERE ur.user_id = u.id), '{}')
	FROM identity.users u WHERE u.id = ANY($1::uuid[]) ORDER BY u.id`
	sqlTeamSnapshotLock = `SELECT id FROM identity.teams WHERE org_id = $1 AND id > $2::uuid ORDER BY id LIMIT $3 FOR KEY SHARE`
	// Members as GET /teams/{id} lists them: deleted users are left out.
	sqlTeamSnapshotRead = `SELECT t.id, t.name,
	COALESCE((SELECT array_agg(m.user_id::text ORDER BY m.user_id)
	          FROM identity.team_members m JOIN identity.users u ON u.id = m.user_id
	          WHERE m.team_id = t.id AND u.deleted_at IS NULL), '{}')
	FROM identity.teams t WHERE t.id = ANY($1::uuid[]) ORDER BY t.id`
	sqlDeletedTeamSnapshots = `SELECT team_id FROM identity.deleted_teams WHERE org_id = $1 AND team_id > $2::uuid ORDER BY team_id LIMIT $3`
)

// SnapshotStore implements app.SnapshotStore (identity republish) over a
// pool that runs as the service role.
type SnapshotStore struct {
	pool   *pgxpool.Pool
	outbox *events.Outbox
}

var _ app.SnapshotStore = (*SnapshotStore)(nil)

// NewSnapshotStore returns a snapshot store over pool writing to
// <schema>.outbox.
func NewSnapshotStore(pool *pgxpool.Pool, schema string) (*SnapshotStore, error) {
	if pool == nil {
		return nil, errors.New("postgres: NewSnapshotStore: nil pool")
	}
	return &SnapshotStore{pool: pool, outbox: events.NewOutbox(schema)}, nil
}

// OrgIDs pages through the organisations with the SECURITY DEFINER
// function organization_ids_after (row-level security shows the service
// role one organisation at a time).
func (s *SnapshotStore) OrgIDs(ctx context.Context, after string, limit int) ([]string, error) {
	return postgres.IDsAfter(ctx, s.pool, "organisation ids", sqlOrgIDsAfter, after, limit)
}

// InOrg runs fn in a transaction with app.org_id = orgID.
func (s *SnapshotStore) InOrg(ctx context.Context, orgID string, fn func(app.SnapshotTx) error) error {
	return postgres.InOrgTx(ctx, s.pool, orgID, func(tx pgx.Tx) error {
		return fn(snapshotTx{tx: tx, org: orgID, outbox: s.outbox})
	})
}

// snapshotTx is app.SnapshotTx over one transaction of org.
type snapshotTx struct {
	tx     pgx.Tx
	org    string
	outbox *events.Outbox
}

// lockIDs locks the next page of ids (sqlLock) and returns them.
func (t snapshotTx) lockIDs(ctx context.Context, sqlLock, after string, limit int) ([]string, error) {
	rows, err := t.tx.Query(ctx, sqlLock, t.org, postgres.IDStart(after), limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (t snapshotTx) Users(ctx context.Context, after string, limit int) ([]app.UserSnapshot, error) {
	ids, err := t.lockIDs(ctx, sqlUserSnapshotLock, after, limit)
	if err != nil || len(ids) == 0 {
		return nil, wrapErr("lock users", err)
	}
	rows, err := t.tx.Query(ctx, sqlUserSnapshotRead, ids)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.UserSnapshot, error) {
		var u app.UserSnapshot
		err := row.Scan(&u.ID, &u.Email, &u.FullName, &u.Deleted, &u.Roles)
		return u, err
	})
	return out, wrapErr("read users", err)
}

func (t snapshotTx) Teams(ctx context.Context, after string, limit int) ([]app.TeamSnapshot, error) {
	ids, err := t.lockIDs(ctx, sqlTeamSnapshotLock, after, limit)
	if err != nil || len(ids) == 0 {
		return nil, wrapErr("lock teams", err)
	}
	rows, err := t.tx.Query(ctx, sqlTeamSnapshotRead, ids)
	if err != nil {
		return nil, fmt.Errorf("read teams: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.TeamSnapshot, error) {
		var s app.TeamSnapshot
		err := row.Scan(&s.ID, &s.Name, &s.MemberIDs)
		return s, err
	})
	return out, wrapErr("read teams", err)
}

func (t snapshotTx) DeletedTeams(ctx context.Context, after string, limit int) ([]app.TeamSnapshot, error) {
	rows, err := t.tx.Query(ctx, sqlDeletedTeamSnapshots, t.org, postgres.IDStart(after), limit)
	if err != nil {
		return nil, fmt.Errorf("read deleted teams: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.TeamSnapshot, error) {
		s := app.TeamSnapshot{Deleted: true}
		err := row.Scan(&s.ID)
		return s, err
	})
	return out, wrapErr("read deleted teams", err)
}

// PublishAll builds the CloudEvents and enqueues them with one COPY.
func (t snapshotTx) PublishAll(ctx context.Context, eventType, orgID string, items []app.EventData) error {
	msgs := make([]events.Message, len(items))
	for i, it := range items {
		ev, err := events.New(app.EventSource, eventType, it.Key, orgID, it.Data)
		if err != nil {
			return fmt.Errorf("build %s event: %w", eventType, err)
		}
		msgs[i] = events.Message{Key: it.Key, Event: ev}
	}
	return t.outbox.EnqueueAll(ctx, t.tx, app.EventsTopic, msgs)
}

func wrapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
