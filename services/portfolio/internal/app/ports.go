package app

import (
	"context"
	"time"

	"reos.dev/services/portfolio/internal/domain"
)

// Clock tells the time; tests use a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Store opens transactions over portfolio's data; every read and write
// happens in InOrg, where row-level security shows one organisation only.
type Store interface {
	// InOrg runs fn in one transaction scoped to orgID; fn's error rolls back.
	InOrg(ctx context.Context, orgID string, fn func(Tx) error) error
}

// Tx is one transaction's view of portfolio's repositories: rows, events
// and jobs written through it commit or roll back together. A missing row
// (another organisation's included) is an apperr not-found error.
type Tx interface {
	Portfolios() PortfolioRepository
	Holdings() HoldingRepository
	Ledger() LedgerRepository
	// Properties is the read model of property's properties and valuations.
	Properties() PropertyReadModel
	Reconciliations() ReconciliationRepository
	Jobs() JobQueue
	Events() Publisher
}

// PortfolioRepository stores portfolios. A name another portfolio of the
// organisation has is a conflict (domain.ReasonNameTaken).
type PortfolioRepository interface {
	Create(ctx context.Context, p domain.Portfolio) error
	Get(ctx context.Context, id string) (domain.Portfolio, error)
	// GetForUpdate also locks the portfolio: every change to its holdings
	// and ledger takes this lock first, so they apply one at a time.
	GetForUpdate(ctx context.Context, id string) (domain.Portfolio, error)
	Update(ctx context.Context, p domain.Portfolio) error
	List(ctx context.Context, p PageRequest) (Page[domain.Portfolio], error)
	// Summary sums the portfolio's holdings.
	Summary(ctx context.Context, id string) (PortfolioSummary, error)
}

// PortfolioSummary is what GET /portfolio/{id} adds to the portfolio.
type PortfolioSummary struct {
	Holdings, Held, Sold int
	CostBasisCents       int64
	Transactions         int64
}

// HoldingRepository stores holdings and their ledger summaries. A property
// the portfolio holds already is a conflict (domain.ReasonPropertyHeld).
type HoldingRepository interface {
	Create(ctx context.Context, orgID string, h domain.Holding) error
	// Get returns a holding of the portfolio (another's is not found).
	Get(ctx context.Context, portfolioID, id string) (domain.Holding, error)
	// Save writes h's status and summary.
	Save(ctx context.Context, h domain.Holding) error
	// Batch returns up to limit holdings of the portfolio after the id
	// afterID ("" for the first), in id order.
	Batch(ctx context.Context, portfolioID, afterID string, limit int) ([]domain.Holding, error)
	Count(ctx context.Context, portfolioID string) (int, error)
	// Marked returns every holding of the portfolio with its property's
	// newest mark as of asOf (nil when it has none).
	Marked(ctx context.Context, portfolioID string, asOf time.Time) ([]MarkedHolding, error)
	// ForPerformance returns the holdings acquired by to, each with the
	// sums of its entries before from.
	ForPerformance(ctx context.Context, portfolioID string, from, to time.Time) ([]domain.PerfHolding, error)
}

// MarkedHolding is a holding and its property's mark.
type MarkedHolding struct {
	domain.Holding
	Mark *domain.Mark
}

// LedgerRepository is the append-only ledger: entries are inserted, never
// updated or deleted (the service role has no such grant).
type LedgerRepository interface {
	Append(ctx context.Context, orgID string, t domain.Transaction) error
	// Get returns an entry of the portfolio with VoidedBy filled in.
	Get(ctx context.Context, portfolioID, id string) (domain.Transaction, error)
	List(ctx context.Context, portfolioID string, q TransactionQuery) (Page[domain.Transaction], error)
	// Sums recomputes the figures of holdings from their entries.
	Sums(ctx context.Context, holdingIDs []string) (map[string]domain.Figures, error)
	// Period returns the entries of [from, to], netted per holding, day,
	// kind and category.
	Period(ctx context.Context, portfolioID string, from, to time.Time) ([]domain.Entry, error)
	// FirstDay is the date of the portfolio's earliest entry (found false
	// when it has none).
	FirstDay(ctx context.Context, portfolioID string) (day time.Time, found bool, err error)
}

// TransactionQuery filters and pages the ledger.
type TransactionQuery struct {
	HoldingID *string
	Kinds     []string
	Category  string
	From, To  *time.Time
	// Voids: "" every entry, "only" the voiding entries, "exclude" them.
	Voids string
	Sort  Sort
	Page  PageRequest
}

// PropertyReadModel is the read model of property's properties and
// valuations: the consumer writes it from reos.property.events, the HTTP
// fallback from property's answers, the use cases read it.
type PropertyReadModel interface {
	// Known returns whether the property is known and archived.
	Known(ctx context.Context, propertyID string) (known, archived bool, err error)
	// UpsertKnown records the property as known at `at`; archived nil
	// keeps a known row's flag, otherwise archiving is sticky.
	UpsertKnown(ctx context.Context, orgID, propertyID string, archived *bool, at time.Time) error
	// AddValuation records a completed valuation; one recorded already
	// (same id) is left as it is.
	AddValuation(ctx context.Context, orgID string, m domain.Mark) error
	// MarksAt returns the newest mark as of day of every property the
	// portfolio holds, by property id.
	MarksAt(ctx context.Context, portfolioID string, day time.Time) (map[string]domain.Mark, error)
}

// ReconciliationRepository stores reconciliations and their differences.
type ReconciliationRepository interface {
	Create(ctx context.Context, orgID string, r domain.Reconciliation) error
	GetForUpdate(ctx context.Context, id string) (domain.Reconciliation, error)
	// Save writes r's totals, checkpoint, status and job.
	Save(ctx context.Context, r domain.Reconciliation) error
	AddDifferences(ctx context.Context, orgID, reconciliationID string, diffs []domain.Difference) error
	// Get returns a reconciliation of the portfolio with its differences.
	Get(ctx context.Context, portfolioID, id string) (domain.Reconciliation, error)
	// List is newest first, without the differences.
	List(ctx context.Context, portfolioID string, p PageRequest) (Page[domain.Reconciliation], error)
}

// JobQueue enqueues jobs in the transaction.
type JobQueue interface {
	// EnqueueReconciliation queues the job that runs a reconciliation and
	// returns its id.
	EnqueueReconciliation(ctx context.Context, orgID, reconciliationID string) (int64, error)
}

// Publisher writes domain events to the outbox in the transaction.
type Publisher interface {
	Publish(ctx context.Context, orgID string, evs ...Event) error
}

// Event is a domain event before its CloudEvents envelope: its type, the
// kind of aggregate (the subject's prefix) and its id (the message key).
type Event struct {
	Type      string
	Aggregate string
	ID        string
	Data      any
}

// PropertyClient asks property directly, on the caller's behalf (their
// token), for what the read model does not know yet. An error that is
// apperr Unavailable means property could not answer.
type PropertyClient interface {
	// Property reports whether the property exists for the caller and is
	// archived.
	Property(ctx context.Context, id string) (found, archived bool, err error)
	// LatestValuation returns the property's newest completed valuation
	// (nil when it has none).
	LatestValuation(ctx context.Context, propertyID string) (*domain.Mark, error)
}

// ReconciliationStep is a running reconciliation job's step (nil when the
// reconciliation runs inside the request): Over says its share of time is
// spent, Continue hands over to a successor in the transaction that
// commits the checkpoint, Complete ends the job in the transaction that
// ends the reconciliation, Progress shows how far it is.
type ReconciliationStep interface {
	Over(ctx context.Context) bool
	Continue(ctx context.Context, tx Tx) error
	Complete(ctx context.Context, tx Tx) error
	Progress(ctx context.Context, checked, total int)
}

// Sort is a whitelisted sort field and its direction.
type Sort struct {
	Field string
	Desc  bool
}

// PageRequest is a raw page request: the limit (zero: the default) and the
// opaque cursor of an earlier page, decoded by the repository (a forged
// one is a 400 naming cursor).
type PageRequest struct {
	Limit  int
	Cursor string
}

// Page is one page of a list; Next is the cursor of the next ("" at the end).
type Page[T any] struct {
	Items []T
	Next  string
}
