package server

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/services/property"
	pgstore "reos.dev/services/property/internal/adapters/postgres"
	"reos.dev/services/property/internal/app"
)

// Republisher wires `property republish`: snapshots of every property of
// each organisation written to property's outbox through pool (the
// service role). It needs neither the job queue nor the file store.
func Republisher(pool *pgxpool.Pool) (events.Republisher, error) {
	store, err := pgstore.NewSnapshotStore(pool, property.Schema)
	if err != nil {
		return events.Republisher{}, err
	}
	return app.Republisher(store)
}
