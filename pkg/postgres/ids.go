package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// NilUUID sorts before every UUID: the keyset start of a first batch.
const NilUUID = "00000000-0000-0000-0000-000000000000"

// IDStart is the keyset start of a batch of rows ordered by UUID: after,
// or NilUUID for the first batch.
func IDStart(after string) string {
	if after == "" {
		return NilUUID
	}
	return after
}

// Querier runs a query: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// IDsAfter runs query (one uuid column, arguments: the keyset start and the
// limit) and returns the ids: how republish pages through organisations
// with a service's SECURITY DEFINER lister (row-level security shows the
// service role one organisation at a time). what names the list in errors.
func IDsAfter(ctx context.Context, q Querier, what, query, after string, limit int) ([]string, error) {
	rows, err := q.Query(ctx, query, IDStart(after), limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return ids, nil
}
