package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/platform/internal/app"
)

var _ app.HistoryStore = historyStore{}

const (
	sqlInsertHistory = `INSERT INTO platform.event_history (org_id, event_id, source, type, short_type, subject, perm, occurred_at, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (org_id, event_id) DO NOTHING`
	// $2 exact types, $3 LIKE patterns of the wildcards (no filter when
	// both are empty), $4 the permissions the caller holds.
	sqlListHistory = `SELECT seq, event_id, source, type, subject, occurred_at, data FROM platform.event_history
WHERE seq > $1
  AND (cardinality($2::text[]) + cardinality($3::text[]) = 0 OR short_type = ANY($2) OR short_type LIKE ANY($3))
  AND perm = ANY($4)
  AND ($5::timestamptz IS NULL OR occurred_at >= $5)
ORDER BY seq LIMIT $6`
)

// History is the store of the event history.
func (s *Store) History() app.HistoryStore { return historyStore{s} }

type historyStore struct{ s *Store }

func (h historyStore) InOrg(ctx context.Context, orgID string, fn func(app.HistoryTx) error) error {
	return h.s.InOrg(ctx, orgID, func(tx app.WebhookTx) error { return fn(tx.(*webhookTx)) })
}

func (r *webhookTx) RecordEvent(ctx context.Context, orgID string, e app.HistoryEvent) error {
	_, err := r.tx.Exec(ctx, sqlInsertHistory, orgID, e.EventID, e.Source, e.Type, app.WebhookType(e.Type), e.Subject, e.Perm, e.OccurredAt, nullJSON(e.Data))
	return err
}

func (r *webhookTx) ListHistory(ctx context.Context, q app.HistoryQuery) ([]app.HistoryEvent, error) {
	exact, patterns := []string{}, []string{}
	for _, t := range q.Types {
		switch prefix, wild := strings.CutSuffix(t, ".*"); {
		case t == "*":
			patterns = append(patterns, "%")
		case wild:
			patterns = append(patterns, strings.ReplaceAll(prefix, "_", `\_`)+".%")
		default:
			exact = append(exact, t)
		}
	}
	rows, err := r.tx.Query(ctx, sqlListHistory, q.After, exact, patterns, q.Perms, q.Since, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("list event history: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.HistoryEvent, error) {
		var e app.HistoryEvent
		err := row.Scan(&e.Seq, &e.EventID, &e.Source, &e.Type, &e.Subject, &e.OccurredAt, &e.Data)
		return e, err
	})
}

func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
