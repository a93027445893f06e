package domain

import (
	"time"
)

// Holding statuses.
const (
	HoldingHeld = "held"
	HoldingSold = "sold"
)

// Bounds of the dates the ledger takes (pkg/datetime's range, narrowed: a
// property bought before 1900 or recorded more than a year ahead is a typo).
var (
	MinLedgerDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxAhead      = 366 * 24 * time.Hour
)

// Holding is one property in one portfolio with the summary of its
// ledger: the service keeps these figures in the transaction of every
// entry; reconciliation recomputes them from the ledger.
type Holding struct {
	ID             string
	PortfolioID    string
	PropertyID     string
	AcquiredOn     time.Time
	Status         string
	SoldOn         *time.Time
	CostBasisCents int64
	ProceedsCents  int64
	IncomeCents    int64
	ExpenseCents   int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Figures are a holding's ledger sums: the summary the holding keeps, or
// the same sums recomputed from the ledger.
type Figures struct {
	CostBasis, Proceeds, Income, Expenses int64
}

// Figures returns the holding's summary.
func (h Holding) Figures() Figures {
	return Figures{CostBasis: h.CostBasisCents, Proceeds: h.ProceedsCents, Income: h.IncomeCents, Expenses: h.ExpenseCents}
}

// HoldingInput adds a holding: the property, the day it was acquired and
// its purchase cost (recorded as the holding's first ledger entry, a
// purchase) in the portfolio's currency.
type HoldingInput struct {
	PropertyID     string
	AcquiredOn     *time.Time
	CostBasisCents *int64
	Currency       string
	Memo           string
}

// NewHolding validates in against the portfolio and returns the holding
// and its purchase entry.
func NewHolding(p Portfolio, holdingID, entryID string, by *string, in HoldingInput, now time.Time) (Holding, Transaction, error) {
	var f FieldErrors
	if !ValidID(in.PropertyID) {
		f.Add("property_id", "must be a property id (UUID)")
	}
	if in.AcquiredOn == nil {
		f.Add("acquired_on", "is required (YYYY-MM-DD)")
	} else {
		checkLedgerDate(&f, "acquired_on", *in.AcquiredOn, now)
	}
	if in.CostBasisCents == nil {
		f.Add("cost_basis_cents", "is required")
	} else if err := CheckAmount("cost_basis_cents", *in.CostBasisCents); err != nil {
		addErr(&f, err)
	}
	checkCurrency(&f, p, in.Currency)
	checkMemo(&f, in.Memo)
	if err := f.Err(); err != nil {
		return Holding{}, Transaction{}, err
	}
	h := Holding{ID: holdingID, PortfolioID: p.ID, PropertyID: in.PropertyID, AcquiredOn: *in.AcquiredOn, Status: HoldingHeld,
		CreatedAt: now, UpdatedAt: now}
	hid := h.ID
	t := Transaction{ID: entryID, PortfolioID: p.ID, HoldingID: &hid, Kind: KindPurchase, Category: "acquisition",
		AmountCents: *in.CostBasisCents, Currency: p.Currency, OccurredOn: *in.AcquiredOn, Memo: in.Memo, RecordedBy: by, RecordedAt: now}
	h, err := h.Apply(t)
	return h, t, err
}

func checkLedgerDate(f *FieldErrors, field string, d, now time.Time) {
	if d.Before(MinLedgerDate) || d.After(now.Add(maxAhead)) {
		f.Add(field, "must be a date from 1900-01-01 to a year from today")
	}
}

func checkCurrency(f *FieldErrors, p Portfolio, code string) {
	switch {
	case code == "":
		f.Add("currency", "is required: the portfolio's currency, "+p.Currency)
	case code != p.Currency:
		if _, err := ParseCurrency("currency", code); err != nil {
			addErr(f, err)
			return
		}
		f.Add("currency", "must be the portfolio's currency, "+p.Currency+", not "+code)
	}
}
