package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

type historyRepo struct{ tx pgx.Tx }

const sqlHistoryInsert = `INSERT INTO property.property_history (id, org_id, property_id, actor_id, changed_at, field, old_value, new_value)
SELECT $1, org_id, id, $3, $4, $5, $6, $7 FROM property.properties WHERE id = $2`

const sqlHistoryList = `SELECT id, property_id, actor_id, changed_at, field, old_value, new_value
FROM property.property_history WHERE property_id = $1 AND ($2::timestamptz IS NULL OR (changed_at, id) < ($2, $3::uuid))
ORDER BY changed_at DESC, id DESC LIMIT $4`

// Append records changes; the org comes from the property row itself.
func (r historyRepo) Append(ctx context.Context, propertyID, actorID string, at time.Time, changes []domain.Change) error {
	var actor *string
	if actorID != "" {
		actor = &actorID
	}
	batch := &pgx.Batch{}
	for _, c := range changes {
		batch.Queue(sqlHistoryInsert, uuid.Must(uuid.NewV7()).String(), propertyID, actor, at, c.Field, []byte(c.Old), []byte(c.New))
	}
	if err := r.tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("append property history: %w", err)
	}
	return nil
}

// historyKeyset is the order of a property's history, newest first.
var historyKeyset = postgres.Keyset{Sort: "history", Kind: postgres.Timestamptz}

func (r historyRepo) List(ctx context.Context, propertyID string, limit int, cursorText string) (app.Page[app.HistoryEntry], error) {
	page, err := historyKeyset.Page(cursorText, limit)
	if err != nil {
		return app.Page[app.HistoryEntry]{}, err
	}
	at, id, fetch := page.Args()
	rows, err := r.tx.Query(ctx, sqlHistoryList, propertyID, at, id, fetch)
	if err != nil {
		return app.Page[app.HistoryEntry]{}, fmt.Errorf("list property history: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (app.HistoryEntry, error) {
		var e app.HistoryEntry
		var oldV, newV []byte
		err := row.Scan(&e.ID, &e.PropertyID, &e.ActorID, &e.ChangedAt, &e.Field, &oldV, &newV)
		e.ChangedAt = e.ChangedAt.UTC()
		e.Old, e.New = oldV, newV
		return e, err
	}, func(e app.HistoryEntry) (any, string) { return e.ChangedAt, e.ID })
	if err != nil {
		return app.Page[app.HistoryEntry]{}, fmt.Errorf("list property history: %w", err)
	}
	return out, nil
}
