package app

import (
	"time"

	"reos.dev/services/portfolio/internal/domain"
)

// EventSource is the CloudEvents source of portfolio's events; they go to
// reos.portfolio.events keyed by the aggregate id (the portfolio's for
// portfolio, holding and transaction events, so a portfolio's events keep
// their order; the reconciliation's own for its outcome).
const EventSource = "reos.portfolio"

// Event types.
const (
	EventPortfolioCreated     = "reos.portfolio.portfolio.created"
	EventPortfolioUpdated     = "reos.portfolio.portfolio.updated"
	EventHoldingAdded         = "reos.portfolio.holding.added"
	EventHoldingChanged       = "reos.portfolio.holding.changed"
	EventHoldingSold          = "reos.portfolio.holding.sold"
	EventTransactionRecorded  = "reos.portfolio.transaction.recorded"
	EventTransactionVoided    = "reos.portfolio.transaction.voided"
	EventReconciliationPassed = "reos.portfolio.reconciliation.passed" // #nosec G101 -- an event type, not a credential
	EventReconciliationFailed = "reos.portfolio.reconciliation.failed"
)

type portfolioEventData struct {
	PortfolioID string `json:"portfolio_id"`
	Name        string `json:"name"`
	Currency    string `json:"currency"`
	ActorID     string `json:"actor_id,omitempty"`
}

func portfolioEvent(typ string, p domain.Portfolio, actor *string) Event {
	return Event{Type: typ, Aggregate: "portfolio", ID: p.ID, Data: portfolioEventData{
		PortfolioID: p.ID, Name: p.Name, Currency: p.Currency, ActorID: deref(actor)}}
}

type holdingEventData struct {
	HoldingID      string  `json:"holding_id"`
	PortfolioID    string  `json:"portfolio_id"`
	PropertyID     string  `json:"property_id"`
	Status         string  `json:"status"`
	AcquiredOn     string  `json:"acquired_on"`
	SoldOn         *string `json:"sold_on"`
	Currency       string  `json:"currency"`
	CostBasisCents int64   `json:"cost_basis_cents"`
	ProceedsCents  int64   `json:"proceeds_cents"`
	IncomeCents    int64   `json:"income_cents"`
	ExpenseCents   int64   `json:"expense_cents"`
}

func holdingEvent(typ string, p domain.Portfolio, h domain.Holding) Event {
	d := holdingEventData{HoldingID: h.ID, PortfolioID: h.PortfolioID, PropertyID: h.PropertyID, Status: h.Status,
		AcquiredOn: h.AcquiredOn.Format(time.DateOnly), Currency: p.Currency, CostBasisCents: h.CostBasisCents,
		ProceedsCents: h.ProceedsCents, IncomeCents: h.IncomeCents, ExpenseCents: h.ExpenseCents}
	if h.SoldOn != nil {
		s := h.SoldOn.Format(time.DateOnly)
		d.SoldOn = &s
	}
	return Event{Type: typ, Aggregate: "portfolio", ID: h.PortfolioID, Data: d}
}

type transactionEventData struct {
	TransactionID string  `json:"transaction_id"`
	PortfolioID   string  `json:"portfolio_id"`
	HoldingID     *string `json:"holding_id"`
	Kind          string  `json:"kind"`
	Category      string  `json:"category"`
	AmountCents   int64   `json:"amount_cents"`
	Currency      string  `json:"currency"`
	OccurredOn    string  `json:"occurred_on"`
	Voids         *string `json:"voids"`
	ActorID       string  `json:"actor_id,omitempty"`
}

func transactionEvent(t domain.Transaction) Event {
	typ := EventTransactionRecorded
	if t.VoidsID != nil {
		typ = EventTransactionVoided
	}
	return Event{Type: typ, Aggregate: "portfolio", ID: t.PortfolioID, Data: transactionEventData{
		TransactionID: t.ID, PortfolioID: t.PortfolioID, HoldingID: t.HoldingID, Kind: t.Kind, Category: t.Category,
		AmountCents: t.AmountCents, Currency: t.Currency, OccurredOn: t.OccurredOn.Format(time.DateOnly), Voids: t.VoidsID,
		ActorID: deref(t.RecordedBy)}}
}

type reconciliationEventData struct {
	ReconciliationID   string `json:"reconciliation_id"`
	PortfolioID        string `json:"portfolio_id"`
	Status             string `json:"status"`
	LedgerCents        int64  `json:"ledger_cents"`
	AbsDifferenceCents int64  `json:"abs_difference_cents"`
	DifferenceCount    int    `json:"difference_count"`
	HoldingsChecked    int    `json:"holdings_checked"`
	ToleranceBP        int    `json:"tolerance_bp"`
}

func reconciliationEvent(r domain.Reconciliation) Event {
	typ := EventReconciliationFailed
	if r.Status == domain.ReconPassed {
		typ = EventReconciliationPassed
	}
	return Event{Type: typ, Aggregate: "reconciliation", ID: r.ID, Data: reconciliationEventData{
		ReconciliationID: r.ID, PortfolioID: r.PortfolioID, Status: r.Status, LedgerCents: r.LedgerCents,
		AbsDifferenceCents: r.AbsDifferenceCents, DifferenceCount: r.DifferenceCount, HoldingsChecked: r.HoldingsChecked,
		ToleranceBP: r.ToleranceBP}}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
