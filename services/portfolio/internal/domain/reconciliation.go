package domain

import (
	"math/big"
	"time"
)

// Reconciliation statuses.
const (
	ReconRunning = "running"
	ReconPassed  = "passed"
	ReconFailed  = "failed"
)

// ToleranceBP is the pass threshold in basis points of the ledger value:
// a reconciliation passes when the sum of the absolute differences is at
// most 0.5 % of the ledger's cost basis. Integer arithmetic
// (10000 · |Δ| ≤ 50 · ledger), so 0.50 % passes and 0.5001 % does not.
const ToleranceBP = 50

// Measures compared per holding.
const (
	MeasureCostBasis = "cost_basis"
	MeasureProceeds  = "proceeds"
	MeasureIncome    = "income"
	MeasureExpenses  = "expenses"
)

// Reconciliation is one comparison of a portfolio's holdings with its
// ledger: totals so far and, once ended, the outcome.
type Reconciliation struct {
	ID                 string
	PortfolioID        string
	Status             string
	ToleranceBP        int
	LedgerCents        int64 // Σ ledger cost basis of the holdings checked
	AbsDifferenceCents int64 // Σ |delta| over every difference
	HoldingsTotal      int
	HoldingsChecked    int
	DifferenceCount    int
	Checkpoint         *string
	JobID              *int64
	RequestedBy        *string
	CreatedAt          time.Time
	CompletedAt        *time.Time
	Differences        []Difference
}

// Difference is one measure of one holding where the holding's summary
// (actual) differs from its ledger (expected).
type Difference struct {
	HoldingID, PropertyID string
	Measure               string
	ExpectedCents         int64
	ActualCents           int64
	DeltaCents            int64 // actual − expected
}

// Percentage is delta ÷ expected as a rate (false when expected is 0).
func (d Difference) Percentage() (string, bool) {
	return Ratio(big.NewInt(d.DeltaCents), big.NewInt(d.ExpectedCents))
}

// Compare returns the differences between a holding's summary and its
// ledger's sums.
func Compare(h Holding, ledger Figures) ([]Difference, error) {
	actual := h.Figures()
	var out []Difference
	for _, m := range []struct {
		name           string
		expected, have int64
	}{
		{MeasureCostBasis, ledger.CostBasis, actual.CostBasis},
		{MeasureProceeds, ledger.Proceeds, actual.Proceeds},
		{MeasureIncome, ledger.Income, actual.Income},
		{MeasureExpenses, ledger.Expenses, actual.Expenses},
	} {
		if m.expected == m.have {
			continue
		}
		delta, err := Sum(m.have, -m.expected)
		if err != nil {
			return nil, err
		}
		out = append(out, Difference{HoldingID: h.ID, PropertyID: h.PropertyID, Measure: m.name,
			ExpectedCents: m.expected, ActualCents: m.have, DeltaCents: delta})
	}
	return out, nil
}

// Add counts a checked holding (its ledger cost basis and differences)
// into r's totals.
func (r *Reconciliation) Add(ledgerCostBasis int64, diffs []Difference) error {
	var err error
	if r.LedgerCents, err = Sum(r.LedgerCents, ledgerCostBasis); err != nil {
		return err
	}
	for _, d := range diffs {
		abs, err := AbsCents(d.DeltaCents)
		if err != nil {
			return err
		}
		if r.AbsDifferenceCents, err = Sum(r.AbsDifferenceCents, abs); err != nil {
			return err
		}
	}
	r.HoldingsChecked++
	r.DifferenceCount += len(diffs)
	return nil
}

// Finish ends r: passed when 10000 · |Δ| ≤ tolerance · |ledger|.
func (r *Reconciliation) Finish(now time.Time) {
	lhs := new(big.Int).Mul(big.NewInt(r.AbsDifferenceCents), big.NewInt(10000))
	ledger := new(big.Int).Abs(big.NewInt(r.LedgerCents))
	rhs := new(big.Int).Mul(ledger, big.NewInt(int64(r.ToleranceBP)))
	r.Status = ReconFailed
	if lhs.Cmp(rhs) <= 0 {
		r.Status = ReconPassed
	}
	r.CompletedAt = &now
	r.Checkpoint = nil
}

// DifferenceRate is Σ|Δ| ÷ ledger as a rate ("" when the ledger is 0).
func (r Reconciliation) DifferenceRate() (string, bool) {
	return Ratio(big.NewInt(r.AbsDifferenceCents), new(big.Int).Abs(big.NewInt(r.LedgerCents)))
}
