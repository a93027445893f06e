// Package app holds portfolio's use cases behind the Service interface and
// the ports they need (ports.go: a store whose transactions hand out small
// repositories, a clock, the property client). Every use case checks the
// caller's permission here, whatever the transport did, then runs in one
// transaction scoped to the caller's organisation and announces what
// changed as domain events in that same transaction.
package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/auth"
	"reos.dev/services/portfolio/internal/domain"
)

// Service is portfolio's application API.
type Service interface {
	CreatePortfolio(ctx context.Context, in domain.PortfolioInput) (PortfolioView, error)
	GetPortfolio(ctx context.Context, id string) (PortfolioView, error)
	UpdatePortfolio(ctx context.Context, id string, in domain.PortfolioInput) (PortfolioView, error)
	ListPortfolios(ctx context.Context, p PageRequest) (Page[domain.Portfolio], error)

	AddHolding(ctx context.Context, portfolioID string, in domain.HoldingInput) (domain.Holding, error)
	RecordTransaction(ctx context.Context, portfolioID string, in domain.TransactionInput) (domain.Transaction, error)
	ListTransactions(ctx context.Context, portfolioID string, q TransactionQuery) (Page[domain.Transaction], error)

	Valuation(ctx context.Context, portfolioID string) (ValuationReport, error)
	Performance(ctx context.Context, portfolioID string, q PerformanceQuery) (PerformanceReport, error)

	Reconcile(ctx context.Context, portfolioID string) (domain.Reconciliation, error)
	GetReconciliation(ctx context.Context, portfolioID, id string) (domain.Reconciliation, error)
	ListReconciliations(ctx context.Context, portfolioID string, p PageRequest) (Page[domain.Reconciliation], error)
	// RunReconciliation works a reconciliation (the job's use case; step
	// nil runs it to the end).
	RunReconciliation(ctx context.Context, orgID, id string, step ReconciliationStep) error
}

// Config are the service's settings; zero values take the defaults.
type Config struct {
	// InlineReconcileHoldings is the largest portfolio reconciled inside
	// the request (default 2000 holdings); larger ones run as a job.
	InlineReconcileHoldings int
	// ReconcileBatch is the holdings one reconciliation transaction checks
	// (default 1000).
	ReconcileBatch int
	// FallbackLookups bounds the calls to property one valuation request
	// makes for holdings the read model has no mark for (default 20).
	FallbackLookups int
}

// Deps are the service's collaborators; all are required.
type Deps struct {
	Store    Store
	Clock    Clock
	Logger   *slog.Logger
	Property PropertyClient
}

type service struct {
	cfg      Config
	store    Store
	clock    Clock
	log      *slog.Logger
	property PropertyClient
}

// NewService returns the service.
func NewService(cfg Config, d Deps) (Service, error) {
	if d.Store == nil || d.Clock == nil || d.Logger == nil || d.Property == nil {
		return nil, errors.New("app: NewService: nil Store, Clock, Logger or Property")
	}
	if cfg.InlineReconcileHoldings <= 0 {
		cfg.InlineReconcileHoldings = 2000
	}
	if cfg.ReconcileBatch <= 0 {
		cfg.ReconcileBatch = 1000
	}
	if cfg.FallbackLookups <= 0 {
		cfg.FallbackLookups = 20
	}
	return &service{cfg: cfg, store: d.Store, clock: d.Clock, log: d.Logger.With("component", "app"), property: d.Property}, nil
}

// now is the clock truncated to PostgreSQL's microsecond precision, so a
// time read back equals the one written.
func (s *service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// today is the clock's date (UTC).
func (s *service) today() time.Time { return s.now().Truncate(24 * time.Hour) }

// requireOn checks perm, then the path id: a malformed id is a 404 (it
// cannot name a row), after the permission check.
func requireOn(ctx context.Context, perm, id, reason, what string) (auth.Principal, error) {
	p, err := auth.CallerWith(ctx, perm)
	if err != nil {
		return p, err
	}
	if !domain.ValidID(id) {
		return p, domain.ErrNotFound(reason, what)
	}
	return p, nil
}

// requirePortfolio is requireOn for a portfolio id.
func requirePortfolio(ctx context.Context, perm, id string) (auth.Principal, error) {
	return requireOn(ctx, perm, id, domain.ReasonPortfolioNotFound, "portfolio")
}

// actorID is the caller as a nullable user id (system callers have none).
func actorID(p auth.Principal) *string {
	if !domain.ValidID(p.UserID) || p.UserID == uuid.Nil.String() {
		return nil
	}
	id := p.UserID
	return &id
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
