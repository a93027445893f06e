package server

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	pgstore "reos.dev/services/identity/internal/adapters/postgres"
	"reos.dev/services/identity/internal/app"
)

// SessionSync wires the worker that announces recently ended sessions
// again (see app.SessionSync) over pool (the service role).
func SessionSync(pool *pgxpool.Pool, sessions app.SessionRevoker, accessTTL, interval time.Duration, logger *slog.Logger) (*app.SessionSync, error) {
	store, err := pgstore.NewEndedSessionStore(pool)
	if err != nil {
		return nil, err
	}
	return app.NewSessionSync(store, sessions, accessTTL, interval, logger)
}
