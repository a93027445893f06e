package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/services/property/internal/app"
)

const (
	sqlActiveUser = `SELECT EXISTS (SELECT 1 FROM property.known_users WHERE user_id = $1 AND active)`
	// sqlRecordUser: $3 (deleted) makes the user inactive for good; a
	// known row never becomes active again; updated_at only moves forward.
	sqlRecordUser = `INSERT INTO property.known_users (org_id, user_id, active, updated_at)
VALUES ($1, $2, NOT $3, $4)
ON CONFLICT (org_id, user_id) DO UPDATE
SET active = property.known_users.active AND NOT $3,
    updated_at = greatest(property.known_users.updated_at, EXCLUDED.updated_at)`
)

func (r *repos) Users() app.UserRepository { return userRepo{tx: r.tx} }

// userRepo reads the users read model.
type userRepo struct{ tx pgx.Tx }

func (r userRepo) Active(ctx context.Context, userID string) (bool, error) {
	var ok bool
	if err := r.tx.QueryRow(ctx, sqlActiveUser, userID).Scan(&ok); err != nil {
		return false, fmt.Errorf("active user: %w", err)
	}
	return ok, nil
}

// userReadModel is app.UserReadModel over the consumer's transaction.
type userReadModel struct{ tx pgx.Tx }

func (m userReadModel) Record(ctx context.Context, orgID, userID string, deleted bool, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlRecordUser, orgID, userID, deleted, at); err != nil {
		return fmt.Errorf("record known user: %w", err)
	}
	return nil
}

// UserEventHandler is the events.Handler of the users read model: identity's
// user events (events.UserEventHandler parses them, other types are
// ignored) applied by app.ApplyUserChange through the consumer's
// transaction.
func UserEventHandler() (events.Handler, error) {
	return events.UserEventHandler(func(ctx context.Context, tx pgx.Tx, c events.UserChange) error {
		return app.ApplyUserChange(ctx, userReadModel{tx: tx}, c)
	})
}
