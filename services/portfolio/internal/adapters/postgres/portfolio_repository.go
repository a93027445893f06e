package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/postgres"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

const (
	portfolioColumns   = `id::text, org_id::text, name, description, currency, created_by::text, created_at, updated_at`
	sqlInsertPortfolio = `INSERT INTO portfolio.portfolios (id, org_id, name, description, currency, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	sqlGetPortfolio          = `SELECT ` + portfolioColumns + ` FROM portfolio.portfolios WHERE id = $1`
	sqlGetPortfolioForUpdate = sqlGetPortfolio + ` FOR UPDATE`
	sqlUpdatePortfolio       = `UPDATE portfolio.portfolios SET name = $2, description = $3, updated_at = $4 WHERE id = $1`
	// sqlListPortfolios: newest first; $1/$2 the keyset position (NULL on
	// the first page), $3 the rows to read.
	sqlListPortfolios = `SELECT ` + portfolioColumns + ` FROM portfolio.portfolios
WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid))
ORDER BY created_at DESC, id DESC LIMIT $3`
	sqlPortfolioSummary = `SELECT count(*), count(*) FILTER (WHERE status = 'held'), count(*) FILTER (WHERE status = 'sold'),
    coalesce(sum(cost_basis_cents) FILTER (WHERE status = 'held'), 0)::bigint,
    (SELECT count(*) FROM portfolio.transactions t WHERE t.portfolio_id = $1)
FROM portfolio.holdings WHERE portfolio_id = $1`
)

var portfoliosNewestFirst = postgres.SortKeyset("created_at", true, postgres.Timestamptz, "created_at", "id")

func scanPortfolio(row pgx.CollectableRow) (domain.Portfolio, error) {
	var p domain.Portfolio
	err := row.Scan(&p.ID, &p.OrgID, &p.Name, &p.Description, &p.Currency, &p.CreatedBy, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

func (r portfolioRepo) Create(ctx context.Context, p domain.Portfolio) error {
	_, err := r.tx.Exec(ctx, sqlInsertPortfolio, p.ID, p.OrgID, p.Name, p.Description, p.Currency, p.CreatedBy, p.CreatedAt, p.UpdatedAt)
	return nameTaken(err, p.Name)
}

func nameTaken(err error, name string) error {
	if _, ok := postgres.IsUniqueViolation(err); ok {
		return apperr.Conflict(domain.ReasonNameTaken, "a portfolio named "+name+" exists already")
	}
	if err != nil {
		return fmt.Errorf("portfolio: %w", err)
	}
	return nil
}

func (r portfolioRepo) get(ctx context.Context, query, id string) (domain.Portfolio, error) {
	rows, err := r.tx.Query(ctx, query, id)
	if err != nil {
		return domain.Portfolio{}, fmt.Errorf("get portfolio: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPortfolio)
	return p, notFound(err, domain.ReasonPortfolioNotFound, "portfolio")
}

func (r portfolioRepo) Get(ctx context.Context, id string) (domain.Portfolio, error) {
	return r.get(ctx, sqlGetPortfolio, id)
}

func (r portfolioRepo) GetForUpdate(ctx context.Context, id string) (domain.Portfolio, error) {
	return r.get(ctx, sqlGetPortfolioForUpdate, id)
}

func (r portfolioRepo) Update(ctx context.Context, p domain.Portfolio) error {
	_, err := r.tx.Exec(ctx, sqlUpdatePortfolio, p.ID, p.Name, p.Description, p.UpdatedAt)
	return nameTaken(err, p.Name)
}

func (r portfolioRepo) List(ctx context.Context, req app.PageRequest) (app.Page[domain.Portfolio], error) {
	page, err := portfoliosNewestFirst.Page(req.Cursor, req.Limit)
	if err != nil {
		return app.Page[domain.Portfolio]{}, err
	}
	v, id, n := page.Args()
	rows, err := r.tx.Query(ctx, sqlListPortfolios, v, id, n)
	if err != nil {
		return app.Page[domain.Portfolio]{}, fmt.Errorf("list portfolios: %w", err)
	}
	return collectPage(page, rows, scanPortfolio, func(p domain.Portfolio) (any, string) { return p.CreatedAt, p.ID })
}

func (r portfolioRepo) Summary(ctx context.Context, id string) (app.PortfolioSummary, error) {
	var s app.PortfolioSummary
	err := r.tx.QueryRow(ctx, sqlPortfolioSummary, id).Scan(&s.Holdings, &s.Held, &s.Sold, &s.CostBasisCents, &s.Transactions)
	if err != nil {
		return s, fmt.Errorf("portfolio summary: %w", err)
	}
	return s, nil
}
