package server

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/services/crm"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
)

// Republisher wires `crm republish`: snapshots of every contact and lead
// of each organisation written to crm's outbox through pool (the service
// role). It needs neither the job queue nor the file store.
func Republisher(pool *pgxpool.Pool) (events.Republisher, error) {
	store, err := pgstore.NewSnapshotStore(pool, crm.Schema)
	if err != nil {
		return events.Republisher{}, err
	}
	return app.Republisher(store)
}
