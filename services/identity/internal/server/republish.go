package server

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/services/identity"
	pgstore "reos.dev/services/identity/internal/adapters/postgres"
	"reos.dev/services/identity/internal/app"
)

// Republisher wires `identity republish`: snapshots of the users, teams
// and deleted teams of each organisation written to identity's outbox
// through pool (the service role).
func Republisher(pool *pgxpool.Pool) (events.Republisher, error) {
	store, err := pgstore.NewSnapshotStore(pool, identity.Schema)
	if err != nil {
		return events.Republisher{}, err
	}
	return app.Republisher(store)
}
