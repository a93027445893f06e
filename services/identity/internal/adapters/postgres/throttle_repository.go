package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/identity/internal/domain"
)

const (
	sqlThrottleGet    = `SELECT failures, lockouts, last_failure_at, locked_until FROM identity.login_throttles WHERE email_key = $1`
	sqlThrottleEnsure = `INSERT INTO identity.login_throttles (email_key) VALUES ($1) ON CONFLICT (email_key) DO NOTHING`
	sqlThrottleGetFU  = sqlThrottleGet + ` FOR UPDATE`
	sqlThrottleSave   = `UPDATE identity.login_throttles
	SET failures = $2, lockouts = $3, last_failure_at = $4, locked_until = $5, updated_at = now()
	WHERE email_key = $1`
)

type throttleRepo struct{ tx pgx.Tx }

// Update serialises concurrent logins of one email on the throttle row, so
// parallel guesses cannot slip past the count.
func (r throttleRepo) Update(ctx context.Context, key string, fn func(*domain.LoginThrottle) error) error {
	if _, err := r.tx.Exec(ctx, sqlThrottleEnsure, key); err != nil {
		return fmt.Errorf("create login throttle: %w", err)
	}
	t := domain.LoginThrottle{Key: key}
	if err := r.tx.QueryRow(ctx, sqlThrottleGetFU, key).Scan(&t.Failures, &t.Lockouts, &t.LastFailureAt, &t.LockedUntil); err != nil {
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
