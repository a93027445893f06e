package server

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	pgstore "reos.dev/services/identity/internal/adapters/postgres"
	"reos.dev/services/identity/internal/app"
)

// Retention wires the retention worker over pool (the service role).
func Retention(pool *pgxpool.Pool, cfg app.RetentionConfig, logger *slog.Logger) (*app.Retention, error) {
	store, err := pgstore.NewRetentionStore(pool)
	if err != nil {
		return nil, err
	}
	return app.NewRetention(cfg, store, logger)
}
