// Package postgres implements identity's store and repositories on
// PostgreSQL. All of identity's SQL lives here, as named constants; tables
// are schema-qualified (identity.*) so the queries do not depend on the
// connection's search_path.
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
	"reos.dev/services/identity/internal/domain"
)

// Store implements app.Store over a pool that runs as the service role.
type Store struct {
	pool   *pgxpool.Pool
	outbox *events.Outbox
}

var _ app.Store = (*Store)(nil)

// NewStore returns a store over pool; outbox rows go to <schema>.outbox.
func NewStore(pool *pgxpool.Pool, schema string) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres: NewStore: nil pool")
	}
	return &Store{pool: pool, outbox: events.NewOutbox(schema)}, nil
}

// InOrg runs fn in a transaction with app.org_id = orgID.
func (s *Store) InOrg(ctx context.Context, orgID string, fn func(app.Tx) error) error {
	return postgres.InOrgTx(ctx, s.pool, orgID, func(tx pgx.Tx) error { return fn(s.repos(tx)) })
}

// WithoutOrg runs fn in a transaction with no organisation set.
func (s *Store) WithoutOrg(ctx context.Context, fn func(app.Tx) error) error {
	return postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error { return fn(s.repos(tx)) })
}

const sqlLoginLookup = `SELECT user_id, org_id, password_hash, status FROM identity.login_lookup($1)`

// LookupLogin calls the SECURITY DEFINER function login_lookup, the one
// path by which the service role learns a user's organisation before it
// knows it.
func (s *Store) LookupLogin(ctx context.Context, email string) (app.LoginRecord, bool, error) {
	var r app.LoginRecord
	err := s.pool.QueryRow(ctx, sqlLoginLookup, email).Scan(&r.UserID, &r.OrgID, &r.PasswordHash, &r.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return app.LoginRecord{}, false, nil
	}
	if err != nil {
		return app.LoginRecord{}, false, fmt.Errorf("login lookup: %w", err)
	}
	return r, true, nil
}

// Throttle reads a login throttle outside any transaction.
func (s *Store) Throttle(ctx context.Context, key string) (domain.LoginThrottle, error) {
	t := domain.LoginThrottle{Key: key}
	err := s.pool.QueryRow(ctx, sqlThrottleGet, key).Scan(&t.Failures, &t.Lockouts, &t.LastFailureAt, &t.LockedUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, nil
	}
	if err != nil {
		return t, fmt.Errorf("read login throttle: %w", err)
	}
	return t, nil
}

func (s *Store) repos(tx pgx.Tx) *repos { return &repos{tx: tx, outbox: s.outbox} }

// repos is one transaction's view of every repository.
type repos struct {
	tx     pgx.Tx
	outbox *events.Outbox
}

func (r *repos) Orgs() app.OrgRepository           { return orgRepo{r.tx} }
func (r *repos) Users() app.UserRepository         { return userRepo{r.tx} }
func (r *repos) Roles() app.RoleRepository         { return roleRepo{r.tx} }
func (r *repos) Teams() app.TeamRepository         { return teamRepo{r.tx} }
func (r *repos) Tokens() app.TokenRepository       { return tokenRepo{r.tx} }
func (r *repos) Throttles() app.ThrottleRepository { return throttleRepo{r.tx} }
func (r *repos) Attempts() app.AttemptRepository   { return attemptRepo{r.tx} }
func (r *repos) Events() app.EventPublisher        { return publisher{tx: r.tx, outbox: r.outbox} }

// Profile sends the user, organisation and roles queries as one batch: one
// round trip instead of three.
func (r *repos) Profile(ctx context.Context, userID, orgID string) (domain.User, domain.Organization, []domain.Role, error) {
	b := &pgx.Batch{}
	b.Queue(sqlUserGet, userID)
	b.Queue(sqlOrgGet, orgID)
	b.Queue(sqlRoleByUser, userID)
	br := r.tx.SendBatch(ctx, b)
	defer br.Close()
	var o domain.Organization
	u, err := scanUser(br.QueryRow())
	if err != nil {
		return u, o, nil, notFound(err, domain.ErrUserNotFound)
	}
	if err := br.QueryRow().Scan(&o.ID, &o.Name, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return u, o, nil, notFound(err, errOrgNotFound)
	}
	rows, err := br.Query()
	if err != nil {
		return u, o, nil, fmt.Errorf("roles of user: %w", err)
	}
	roles, err := scanRoles(rows)
	if err != nil {
		return u, o, nil, err
	}
	return u, o, roles, br.Close()
}

// publisher enqueues CloudEvents into the outbox of the transaction.
type publisher struct {
	tx     pgx.Tx
	outbox *events.Outbox
}

func (p publisher) Publish(ctx context.Context, eventType, key, orgID string, data any) error {
	ev, err := events.New(app.EventSource, eventType, key, orgID, data)
	if err != nil {
		return err
	}
	return p.outbox.Enqueue(ctx, p.tx, app.EventsTopic, key, ev)
}

// mapUnique turns the unique violations clients can cause into conflicts.
func mapUnique(err error) error {
	c, ok := postgres.IsUniqueViolation(err)
	if !ok {
		return err
	}
	switch c {
	case "users_email_key":
		return domain.ErrEmailTaken()
	case "roles_org_name_key":
		return conflictField(domain.ReasonRoleNameTaken, "name", "a role with this name already exists")
	case "teams_org_name_key":
		return conflictField(domain.ReasonTeamNameTaken, "name", "a team with this name already exists")
	case "team_members_pkey":
		return conflictField(domain.ReasonAlreadyMember, "user_id", "the user is already a member of this team")
	}
	return err
}
