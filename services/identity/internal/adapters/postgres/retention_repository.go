package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/services/identity/internal/app"
)

// retentionLockKey is the advisory lock the retention runs of every
// replica share ("identity.retention" in ASCII, truncated to 8 bytes).
const retentionLockKey int64 = 0x6964656e74697479

const (
	sqlRetentionLock  = `SELECT pg_try_advisory_xact_lock($1)`
	sqlPruneAttempts  = `SELECT identity.prune_login_attempts($1::interval, $2)`
	sqlPruneRefresh   = `SELECT identity.prune_refresh_tokens($1::interval, $2)`
	sqlPruneThrottles = `SELECT identity.prune_login_throttles($1::interval, $2)`
)

// RetentionStore implements app.RetentionStore over a pool that runs as the
// service role, through the SECURITY DEFINER prune_* functions (row-level
// security would hide other organisations' and unknown emails' rows).
type RetentionStore struct{ pool *pgxpool.Pool }

var _ app.RetentionStore = (*RetentionStore)(nil)

// NewRetentionStore returns a retention store over pool.
func NewRetentionStore(pool *pgxpool.Pool) (*RetentionStore, error) {
	if pool == nil {
		return nil, errors.New("postgres: NewRetentionStore: nil pool")
	}
	return &RetentionStore{pool: pool}, nil
}

// Exclusive holds the advisory lock in a transaction of its own for as
// long as fn runs, while fn's batches commit one by one on other
// connections: a batch's row locks last one statement, and the lock goes
// with the transaction if the process dies.
func (s *RetentionStore) Exclusive(ctx context.Context, fn func(context.Context) error) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("retention lock: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var got bool
	if err := tx.QueryRow(ctx, sqlRetentionLock, retentionLockKey).Scan(&got); err != nil {
		return false, fmt.Errorf("retention lock: %w", err)
	}
	if !got {
		return false, nil
	}
	if err := fn(ctx); err != nil {
		return true, err
	}
	return true, nil
}

// PruneAttempts calls prune_login_attempts.
func (s *RetentionStore) PruneAttempts(ctx context.Context, keep time.Duration, limit int) (int, error) {
	return s.prune(ctx, sqlPruneAttempts, "login attempts", keep, limit)
}

// PruneRefreshTokens calls prune_refresh_tokens.
func (s *RetentionStore) PruneRefreshTokens(ctx context.Context, keep time.Duration, limit int) (int, error) {
	return s.prune(ctx, sqlPruneRefresh, "refresh tokens", keep, limit)
}

// PruneThrottles calls prune_login_throttles.
func (s *RetentionStore) PruneThrottles(ctx context.Context, keep time.Duration, limit int) (int, error) {
	return s.prune(ctx, sqlPruneThrottles, "login throttles", keep, limit)
}

func (s *RetentionStore) prune(ctx context.Context, sql, what string, keep time.Duration, limit int) (int, error) {
	var n int
	// pgx encodes a time.Duration as an interval (microseconds).
	if err := s.pool.QueryRow(ctx, sql, keep, limit).Scan(&n); err != nil {
		return 0, fmt.Errorf("prune %s: %w", what, err)
	}
	return n, nil
}
