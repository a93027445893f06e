package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/identity/internal/domain"
)

const (
	sqlThrottleGet = `SELECT failures, lockouts, last_failure_at, locked_until FROM identity.login_throttles WHERE email_key = $1`
	// Creates the row or locks the existing one, in one statement: a row
	// that the retention worker deletes between a separate insert and
	// SELECT … FOR UPDATE would leave nothing to lock, whereas ON CONFLICT
	// retries the insert when the conflicting row goes away.
	sqlThrottleLock = `INSERT INTO identity.login_throttles (email_key) VALUES ($1)
	ON CONFLICT (email_key) DO UPDATE SET email_key = EXCLUDED.email_key
	RETURNING failures, lockouts, last_failure_at, locked_until`
	sqlThrottleSave = `UPDATE identity.login_throttles
	SET failures = $2, lockouts = $3, last_failure_at = $4, locked_until = $5, updated_at = now()
	WHERE email_key = $1`
)

type throttleRepo struct{ tx pgx.Tx }

// Update serialises concurrent logins of one email on the throttle row, so
// parallel guesses cannot slip past the count.
func (r throttleRepo) Update(ctx context.Context, key string, fn func(*domain.LoginThrottle) error) error {
	t := domain.LoginThrottle{Key: key}
	if err := r.tx.QueryRow(ctx, sqlThrottleLock, key).Scan(&t.Failures, &t.Lockouts, &t.LastFailureAt, &t.LockedUntil); err != nil {
		return fmt.Errorf("lock login throttle: %w", err)
	}
	if err := fn(&t); err != nil {
		return err
	}
	if _, err := r.tx.Exec(ctx, sqlThrottleSave, key, t.Failures, t.Lockouts, t.LastFailureAt, t.LockedUntil); err != nil {
		return fmt.Errorf("save login throttle: %w", err)
	}
	return nil
}
