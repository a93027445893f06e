package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/services/identity/internal/app"
)

const sqlEndedSessions = `SELECT family_id, revoked_at FROM identity.ended_sessions($1::interval)`

// EndedSessionStore implements app.EndedSessionStore over a pool that runs
// as the service role, through the SECURITY DEFINER function ended_sessions
// (row-level security would show one organisation at a time).
type EndedSessionStore struct{ pool *pgxpool.Pool }

var _ app.EndedSessionStore = (*EndedSessionStore)(nil)

// NewEndedSessionStore returns the store over pool.
func NewEndedSessionStore(pool *pgxpool.Pool) (*EndedSessionStore, error) {
	if pool == nil {
		return nil, errors.New("postgres: NewEndedSessionStore: nil pool")
	}
	return &EndedSessionStore{pool: pool}, nil
}

// EndedSince calls ended_sessions.
func (s *EndedSessionStore) EndedSince(ctx context.Context, within time.Duration) ([]app.EndedSession, error) {
	rows, err := s.pool.Query(ctx, sqlEndedSessions, within)
	if err != nil {
		return nil, fmt.Errorf("ended sessions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.EndedSession, error) {
		var e app.EndedSession
		return e, row.Scan(&e.SessionID, &e.RevokedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("ended sessions: %w", err)
	}
	return out, nil
}
