package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/postgres"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

const (
	transactionColumns = `t.id::text, t.portfolio_id::text, t.holding_id::text, t.kind, t.category, t.amount_cents, t.currency,
    t.occurred_on, t.memo, t.voids_id::text,
    (SELECT v.id::text FROM portfolio.transactions v WHERE v.voids_id = t.id), t.recorded_by::text, t.recorded_at`
	sqlAppendTransaction = `INSERT INTO portfolio.transactions (org_id, id, portfolio_id, holding_id, kind, category, amount_cents,
    currency, occurred_on, memo, voids_id, recorded_by, recorded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`
	sqlGetTransaction = `SELECT ` + transactionColumns + ` FROM portfolio.transactions t WHERE t.portfolio_id = $1 AND t.id = $2`
	// sqlLedgerSums recomputes holdings' figures from their entries.
	sqlLedgerSums = `SELECT t.holding_id::text,
    coalesce(sum(t.amount_cents) FILTER (WHERE t.kind IN ('purchase', 'capital_improvement')), 0)::bigint,
    coalesce(sum(t.amount_cents) FILTER (WHERE t.kind = 'sale'), 0)::bigint,
    coalesce(sum(t.amount_cents) FILTER (WHERE t.kind = 'income'), 0)::bigint,
    coalesce(sum(t.amount_cents) FILTER (WHERE t.kind = 'expense'), 0)::bigint
FROM portfolio.transactions t
WHERE t.org_id = NULLIF(current_setting('app.org_id', true), '')::uuid AND t.holding_id = ANY($1::uuid[])
GROUP BY t.holding_id`
	// sqlLedgerPeriod nets the period's entries per holding, day, kind and
	// category (the sums are exact: numeric, then checked into bigint).
	sqlLedgerPeriod = `SELECT coalesce(t.holding_id::text, ''), t.kind, t.category, t.occurred_on, sum(t.amount_cents)::bigint
FROM portfolio.transactions t
WHERE t.org_id = NULLIF(current_setting('app.org_id', true), '')::uuid AND t.portfolio_id = $1
  AND t.occurred_day BETWEEN ($2::date - DATE '1970-01-01') AND ($3::date - DATE '1970-01-01')
GROUP BY t.holding_id, t.kind, t.category, t.occurred_on
HAVING sum(t.amount_cents) <> 0`
	sqlLedgerFirstDay = `SELECT min(occurred_on) FROM portfolio.transactions
WHERE org_id = NULLIF(current_setting('app.org_id', true), '')::uuid AND portfolio_id = $1`
)

// The ledger's orders: its dates (the default, newest first) or the order
// entries were recorded in.
var transactionKeysets = map[string]func(desc bool) postgres.Keyset{
	"occurred_on": func(desc bool) postgres.Keyset {
		return postgres.SortKeyset("occurred_on", desc, postgres.Integer, "t.occurred_day", "t.id")
	},
	"recorded_at": func(desc bool) postgres.Keyset {
		return postgres.SortKeyset("recorded_at", desc, postgres.Timestamptz, "t.recorded_at", "t.id")
	},
}

// TransactionSortFields are the fields the ledger sorts by.
func TransactionSortFields() []string { return []string{"occurred_on", "recorded_at"} }

func scanTransaction(row pgx.CollectableRow) (domain.Transaction, error) {
	var t domain.Transaction
	err := row.Scan(&t.ID, &t.PortfolioID, &t.HoldingID, &t.Kind, &t.Category, &t.AmountCents, &t.Currency, &t.OccurredOn,
		&t.Memo, &t.VoidsID, &t.VoidedBy, &t.RecordedBy, &t.RecordedAt)
	return t, err
}

func (r ledgerRepo) Append(ctx context.Context, orgID string, t domain.Transaction) error {
	_, err := r.tx.Exec(ctx, sqlAppendTransaction, orgID, t.ID, t.PortfolioID, t.HoldingID, t.Kind, t.Category, t.AmountCents,
		t.Currency, t.OccurredOn, t.Memo, t.VoidsID, t.RecordedBy, t.RecordedAt)
	if c, ok := postgres.IsUniqueViolation(err); ok && c == "transactions_voids_idx" {
		return apperr.Conflict(domain.ReasonAlreadyVoided, "transaction "+*t.VoidsID+" is voided already")
	}
	if err != nil {
		return fmt.Errorf("append transaction: %w", err)
	}
	return nil
}

func (r ledgerRepo) Get(ctx context.Context, portfolioID, id string) (domain.Transaction, error) {
	rows, err := r.tx.Query(ctx, sqlGetTransaction, portfolioID, id)
	if err != nil {
		return domain.Transaction{}, fmt.Errorf("get transaction: %w", err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTransaction)
	return t, notFound(err, domain.ReasonTransactionNotFound, "transaction")
}

// List builds the ledger query from fixed fragments; only their
// parameters come from the request.
func (r ledgerRepo) List(ctx context.Context, portfolioID string, q app.TransactionQuery) (app.Page[domain.Transaction], error) {
	field, desc := "occurred_on", true
	if q.Sort.Field != "" {
		field, desc = q.Sort.Field, q.Sort.Desc
	}
	keyset, ok := transactionKeysets[field]
	if !ok {
		return app.Page[domain.Transaction]{}, apperr.BadRequest("sort", "must be one of "+strings.Join(TransactionSortFields(), ", "))
	}
	page, err := keyset(desc).Page(q.Page.Cursor, q.Page.Limit)
	if err != nil {
		return app.Page[domain.Transaction]{}, err
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	conds := []string{"t.org_id = NULLIF(current_setting('app.org_id', true), '')::uuid", "t.portfolio_id = " + arg(portfolioID)}
	if q.HoldingID != nil {
		conds = append(conds, "t.holding_id = "+arg(*q.HoldingID)+"::uuid")
	}
	if len(q.Kinds) > 0 {
		conds = append(conds, "t.kind = ANY("+arg(q.Kinds)+"::text[])")
	}
	if q.Category != "" {
		conds = append(conds, "t.category = "+arg(q.Category))
	}
	if q.From != nil {
		conds = append(conds, "t.occurred_day >= "+arg(epochDay(*q.From)))
	}
	if q.To != nil {
		conds = append(conds, "t.occurred_day <= "+arg(epochDay(*q.To)))
	}
	switch q.Voids {
	case "only":
		conds = append(conds, "t.voids_id IS NOT NULL")
	case "exclude":
		conds = append(conds, "t.voids_id IS NULL")
	}
	seek, tail := page.Seek(arg)
	if seek != "" {
		conds = append(conds, seek)
	}
	sql := "SELECT " + transactionColumns + " FROM portfolio.transactions t WHERE " + strings.Join(conds, " AND ") + tail
	rows, err := r.tx.Query(ctx, sql, args...)
	if err != nil {
		return app.Page[domain.Transaction]{}, fmt.Errorf("list transactions: %w", err)
	}
	return collectPage(page, rows, scanTransaction, func(t domain.Transaction) (any, string) {
		if field == "recorded_at" {
			return t.RecordedAt, t.ID
		}
		return epochDay(t.OccurredOn), t.ID
	})
}

// epochDay is a date as days since 1970-01-01 (transactions.occurred_day).
func epochDay(d time.Time) int32 {
	return int32(d.UTC().Unix() / 86400) // #nosec G115 -- ledger dates are 1900–today+1y: within ±25 000 days
}

func (r ledgerRepo) Sums(ctx context.Context, holdingIDs []string) (map[string]domain.Figures, error) {
	out := make(map[string]domain.Figures, len(holdingIDs))
	if len(holdingIDs) == 0 {
		return out, nil
	}
	rows, err := r.tx.Query(ctx, sqlLedgerSums, holdingIDs)
	if err != nil {
		return nil, fmt.Errorf("ledger sums: %w", err)
	}
	var id string
	var f domain.Figures
	_, err = pgx.ForEachRow(rows, []any{&id, &f.CostBasis, &f.Proceeds, &f.Income, &f.Expenses}, func() error {
		out[id] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger sums: %w", err)
	}
	return out, nil
}

func (r ledgerRepo) Period(ctx context.Context, portfolioID string, from, to time.Time) ([]domain.Entry, error) {
	rows, err := r.tx.Query(ctx, sqlLedgerPeriod, portfolioID, from, to)
	if err != nil {
		return nil, fmt.Errorf("ledger period: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Entry, error) {
		var e domain.Entry
		err := row.Scan(&e.HoldingID, &e.Kind, &e.Category, &e.On, &e.Cents)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger period: %w", err)
	}
	// A stable order: the report's sums do not depend on it, its flows'
	// netting does not either, but a reader of a dump may.
	slices.SortFunc(out, func(a, b domain.Entry) int { return a.On.Compare(b.On) })
	return out, nil
}

func (r ledgerRepo) FirstDay(ctx context.Context, portfolioID string) (time.Time, bool, error) {
	var d *time.Time
	if err := r.tx.QueryRow(ctx, sqlLedgerFirstDay, portfolioID).Scan(&d); err != nil {
		return time.Time{}, false, fmt.Errorf("ledger first day: %w", err)
	}
	if d == nil {
		return time.Time{}, false, nil
	}
	return *d, true, nil
}
