package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/datetime"
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

func (r historyRepo) List(ctx context.Context, propertyID string, limit int, cursorText string) (app.Page[app.HistoryEntry], error) {
	cur, err := decodeCursor(cursorText, "history")
	if err != nil {
		return app.Page[app.HistoryEntry]{}, err
	}
	var at *time.Time
	var id *string
	if cur != nil {
		t, err := datetime.ParseTime(cur.V) // a forged cursor is a 400, like any client time
		if err != nil {
			return app.Page[app.HistoryEntry]{}, badCursor()
		}
		at, id = &t, &cur.ID
	}
	limit = limitOf(limit)
	rows, err := r.tx.Query(ctx, sqlHistoryList, propertyID, at, id, limit+1)
	if err != nil {
		return app.Page[app.HistoryEntry]{}, fmt.Errorf("list property history: %w", err)
	}
	defer rows.Close()
	var items []app.HistoryEntry
	for rows.Next() {
		var e app.HistoryEntry
		var oldV, newV []byte
		if err := rows.Scan(&e.ID, &e.PropertyID, &e.ActorID, &e.ChangedAt, &e.Field, &oldV, &newV); err != nil {
			return app.Page[app.HistoryEntry]{}, fmt.Errorf("scan history: %w", err)
		}
		e.ChangedAt = e.ChangedAt.UTC()
		e.Old, e.New = oldV, newV
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return app.Page[app.HistoryEntry]{}, err
	}
	page := app.Page[app.HistoryEntry]{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor("history", last.ChangedAt.Format(time.RFC3339Nano), last.ID)
	}
	return page, nil
}
