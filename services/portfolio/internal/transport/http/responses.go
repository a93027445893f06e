package http

import (
	"net/http"
	"time"

	"reos.dev/pkg/httpx"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
)

func listOut[T, J any](p app.Page[T], f func(T) J) httpx.List[J] {
	items := make([]J, 0, len(p.Items))
	for _, it := range p.Items {
		items = append(items, f(it))
	}
	return httpx.NewList(items, p.Next)
}

func dateString(t time.Time) string { return t.Format(time.DateOnly) }

func datePtrString(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := dateString(*t)
	return &s
}

type portfolioJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Currency    string    `json:"currency"`
	CreatedBy   *string   `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func portfolioOut(p domain.Portfolio) portfolioJSON {
	return portfolioJSON{ID: p.ID, Name: p.Name, Description: p.Description, Currency: p.Currency, CreatedBy: p.CreatedBy,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

type summaryJSON struct {
	Holdings         int   `json:"holdings"`
	Held             int   `json:"held"`
	Sold             int   `json:"sold"`
	CostBasisCents   int64 `json:"cost_basis_cents"`
	TransactionCount int64 `json:"transaction_count"`
}

type portfolioDetailJSON struct {
	portfolioJSON
	Summary summaryJSON `json:"summary"`
}

func portfolioDetailOut(v app.PortfolioView) portfolioDetailJSON {
	s := v.Summary
	return portfolioDetailJSON{portfolioJSON: portfolioOut(v.Portfolio), Summary: summaryJSON{Holdings: s.Holdings, Held: s.Held,
		Sold: s.Sold, CostBasisCents: s.CostBasisCents, TransactionCount: s.Transactions}}
}

type holdingJSON struct {
	ID             string    `json:"id"`
	PortfolioID    string    `json:"portfolio_id"`
	PropertyID     string    `json:"property_id"`
	AcquiredOn     string    `json:"acquired_on"`
	Status         string    `json:"status"`
	SoldOn         *string   `json:"sold_on"`
	CostBasisCents int64     `json:"cost_basis_cents"`
	ProceedsCents  int64     `json:"proceeds_cents"`
	IncomeCents    int64     `json:"income_cents"`
	ExpenseCents   int64     `json:"expense_cents"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func holdingOut(h domain.Holding) holdingJSON {
	return holdingJSON{ID: h.ID, PortfolioID: h.PortfolioID, PropertyID: h.PropertyID, AcquiredOn: dateString(h.AcquiredOn),
		Status: h.Status, SoldOn: datePtrString(h.SoldOn), CostBasisCents: h.CostBasisCents, ProceedsCents: h.ProceedsCents,
		IncomeCents: h.IncomeCents, ExpenseCents: h.ExpenseCents, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt}
}

type transactionJSON struct {
	ID          string    `json:"id"`
	PortfolioID string    `json:"portfolio_id"`
	HoldingID   *string   `json:"holding_id"`
	Kind        string    `json:"kind"`
	Category    string    `json:"category"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	OccurredOn  string    `json:"occurred_on"`
	Memo        string    `json:"memo"`
	Voids       *string   `json:"voids"`
	VoidedBy    *string   `json:"voided_by"`
	RecordedBy  *string   `json:"recorded_by"`
	RecordedAt  time.Time `json:"recorded_at"`
}

func transactionOut(t domain.Transaction) transactionJSON {
	return transactionJSON{ID: t.ID, PortfolioID: t.PortfolioID, HoldingID: t.HoldingID, Kind: t.Kind, Category: t.Category,
		AmountCents: t.AmountCents, Currency: t.Currency, OccurredOn: dateString(t.OccurredOn), Memo: t.Memo, Voids: t.VoidsID,
		VoidedBy: t.VoidedBy, RecordedBy: t.RecordedBy, RecordedAt: t.RecordedAt}
}

type markJSON struct {
	ValuationID string    `json:"valuation_id"`
	ValueCents  int64     `json:"value_cents"`
	LowCents    int64     `json:"low_cents"`
	HighCents   int64     `json:"high_cents"`
	Confidence  int       `json:"confidence"`
	Method      string    `json:"method"`
	AsOf        string    `json:"as_of"`
	CompletedAt time.Time `json:"completed_at"`
	Source      string    `json:"source"`
	RecordedAt  time.Time `json:"recorded_at"`
	AgeDays     int       `json:"age_days"`
}

type holdingValuationJSON struct {
	HoldingID           string    `json:"holding_id"`
	PropertyID          string    `json:"property_id"`
	Status              string    `json:"status"`
	CostBasisCents      int64     `json:"cost_basis_cents"`
	Mark                *markJSON `json:"mark"`
	UnrealizedGainCents *int64    `json:"unrealized_gain_cents"`
	UnmarkedReason      *string   `json:"unmarked_reason"`
}

type valuationJSON struct {
	PortfolioID          string                 `json:"portfolio_id"`
	Currency             string                 `json:"currency"`
	AsOf                 time.Time              `json:"as_of"`
	MarkedValueCents     int64                  `json:"marked_value_cents"`
	MarkedCostBasisCents int64                  `json:"marked_cost_basis_cents"`
	MarkedCount          int                    `json:"marked_count"`
	UnmarkedCount        int                    `json:"unmarked_count"`
	Holdings             []holdingValuationJSON `json:"holdings"`
}

func valuationOut(r app.ValuationReport) valuationJSON {
	out := valuationJSON{PortfolioID: r.Portfolio.ID, Currency: r.Portfolio.Currency, AsOf: r.AsOf, MarkedValueCents: r.MarkedValueCents,
		MarkedCostBasisCents: r.MarkedCostBasisCents, MarkedCount: r.Marked, UnmarkedCount: r.Unmarked,
		Holdings: make([]holdingValuationJSON, 0, len(r.Holdings))}
	for _, h := range r.Holdings {
		v := holdingValuationJSON{HoldingID: h.ID, PropertyID: h.PropertyID, Status: h.Status, CostBasisCents: h.CostBasisCents}
		if m := h.Mark; m != nil {
			v.Mark = &markJSON{ValuationID: m.ValuationID, ValueCents: m.EstimateCents, LowCents: m.LowCents, HighCents: m.HighCents,
				Confidence: m.Confidence, Method: m.Method, AsOf: dateString(m.AsOf), CompletedAt: m.CompletedAt, Source: m.Source,
				RecordedAt: m.RecordedAt, AgeDays: *h.AgeDays}
			if h.Status == domain.HoldingHeld {
				gain := m.EstimateCents - h.CostBasisCents
				v.UnrealizedGainCents = &gain
			}
		}
		if h.Unmarked != "" {
			reason := h.Unmarked
			v.UnmarkedReason = &reason
		}
		out.Holdings = append(out.Holdings, v)
	}
	return out
}

type metricsJSON struct {
	IncomeCents         int64             `json:"income_cents"`
	ExpenseCents        int64             `json:"expense_cents"`
	IncomeByCategory    map[string]int64  `json:"income_by_category"`
	ExpensesByCategory  map[string]int64  `json:"expenses_by_category"`
	NOICents            int64             `json:"noi_cents"`
	CashFlowCents       int64             `json:"cash_flow_cents"`
	InvestedCents       int64             `json:"invested_cents"`
	PeriodInvestedCents int64             `json:"period_invested_cents"`
	ProceedsCents       int64             `json:"proceeds_cents"`
	HeldAtEnd           bool              `json:"held_at_end"`
	OpeningValueCents   *int64            `json:"opening_value_cents"`
	ClosingValueCents   *int64            `json:"closing_value_cents"`
	AppreciationCents   *int64            `json:"appreciation_cents"`
	AppreciationRate    *string           `json:"appreciation_rate"`
	CapRate             *string           `json:"cap_rate"`
	CashOnCash          *string           `json:"cash_on_cash"`
	IRR                 *string           `json:"irr"`
	IRRMethod           *string           `json:"irr_method"`
	IRRRoots            []string          `json:"irr_roots"`
	Unavailable         map[string]string `json:"unavailable"`
	MissingMarks        []string          `json:"missing_marks"`
}

func metricsOut(m domain.Metrics) metricsJSON {
	out := metricsJSON{IncomeCents: m.IncomeCents, ExpenseCents: m.ExpenseCents, IncomeByCategory: m.IncomeByCategory,
		ExpensesByCategory: m.ExpensesByCategory, NOICents: m.NOICents, CashFlowCents: m.CashFlowCents, InvestedCents: m.InvestedCents,
		PeriodInvestedCents: m.PeriodInvestCents, ProceedsCents: m.ProceedsCents, HeldAtEnd: m.HeldAtEnd,
		OpeningValueCents: m.OpeningValueCents, ClosingValueCents: m.ClosingValueCents, AppreciationCents: m.AppreciationCents,
		AppreciationRate: m.AppreciationRate, CapRate: m.CapRate, CashOnCash: m.CashOnCash, IRR: m.IRR,
		IRRRoots: m.IRRRoots, Unavailable: m.Unavailable, MissingMarks: m.MissingMarks}
	if m.IRRMethod != "" {
		method := m.IRRMethod
		out.IRRMethod = &method
	}
	if out.IRRRoots == nil {
		out.IRRRoots = []string{}
	}
	if out.MissingMarks == nil {
		out.MissingMarks = []string{}
	}
	return out
}

type holdingPerformanceJSON struct {
	HoldingID  string `json:"holding_id"`
	PropertyID string `json:"property_id"`
	metricsJSON
}

type performanceJSON struct {
	PortfolioID  string                   `json:"portfolio_id"`
	Currency     string                   `json:"currency"`
	From         string                   `json:"from"`
	To           string                   `json:"to"`
	Days         int64                    `json:"days"`
	RateDecimals int                      `json:"rate_decimals"`
	Portfolio    metricsJSON              `json:"portfolio"`
	Holdings     []holdingPerformanceJSON `json:"holdings"`
}

func performanceOut(r app.PerformanceReport) performanceJSON {
	out := performanceJSON{PortfolioID: r.Portfolio.ID, Currency: r.Portfolio.Currency, From: dateString(r.From), To: dateString(r.To),
		Days: r.Days, RateDecimals: domain.RateDecimals, Portfolio: metricsOut(r.PerfReport.Portfolio),
		Holdings: make([]holdingPerformanceJSON, 0, len(r.Holdings))}
	for _, h := range r.Holdings {
		out.Holdings = append(out.Holdings, holdingPerformanceJSON{HoldingID: h.HoldingID, PropertyID: h.PropertyID, metricsJSON: metricsOut(h.Metrics)})
	}
	return out
}

type differenceJSON struct {
	HoldingID     string  `json:"holding_id"`
	PropertyID    string  `json:"property_id"`
	Measure       string  `json:"measure"`
	ExpectedCents int64   `json:"expected_cents"`
	ActualCents   int64   `json:"actual_cents"`
	DeltaCents    int64   `json:"delta_cents"`
	Percentage    *string `json:"percentage"`
}

type reconciliationJSON struct {
	ID                 string            `json:"id"`
	PortfolioID        string            `json:"portfolio_id"`
	Status             string            `json:"status"`
	ToleranceBP        int               `json:"tolerance_bp"`
	LedgerCents        int64             `json:"ledger_cents"`
	AbsDifferenceCents int64             `json:"abs_difference_cents"`
	DifferenceRate     *string           `json:"difference_rate"`
	HoldingsTotal      int               `json:"holdings_total"`
	HoldingsChecked    int               `json:"holdings_checked"`
	DifferenceCount    int               `json:"difference_count"`
	JobID              *int64            `json:"job_id"`
	RequestedBy        *string           `json:"requested_by"`
	CreatedAt          time.Time         `json:"created_at"`
	CompletedAt        *time.Time        `json:"completed_at"`
	Differences        *[]differenceJSON `json:"differences,omitempty"`
}

// reconciliationOut renders r; withDiffs adds its differences (the
// single reconciliation; lists leave them out).
func reconciliationOut(r domain.Reconciliation, withDiffs bool) reconciliationJSON {
	out := reconciliationJSON{ID: r.ID, PortfolioID: r.PortfolioID, Status: r.Status, ToleranceBP: r.ToleranceBP,
		LedgerCents: r.LedgerCents, AbsDifferenceCents: r.AbsDifferenceCents, HoldingsTotal: r.HoldingsTotal,
		HoldingsChecked: r.HoldingsChecked, DifferenceCount: r.DifferenceCount, JobID: r.JobID, RequestedBy: r.RequestedBy,
		CreatedAt: r.CreatedAt, CompletedAt: r.CompletedAt}
	if rate, ok := r.DifferenceRate(); ok {
		out.DifferenceRate = &rate
	}
	if withDiffs {
		diffs := make([]differenceJSON, 0, len(r.Differences))
		for _, d := range r.Differences {
			j := differenceJSON{HoldingID: d.HoldingID, PropertyID: d.PropertyID, Measure: d.Measure, ExpectedCents: d.ExpectedCents,
				ActualCents: d.ActualCents, DeltaCents: d.DeltaCents}
			if p, ok := d.Percentage(); ok {
				j.Percentage = &p
			}
			diffs = append(diffs, j)
		}
		out.Differences = &diffs
	}
	return out
}

// reconcileAnswer is POST /reconcile's: 201 with the ended
// reconciliation, or 202 while its job runs; Location either way.
type reconcileAnswer struct {
	reconciliationJSON
	location string
	status   int
}

func (a reconcileAnswer) Headers() http.Header { return http.Header{"Location": {a.location}} }
func (a reconcileAnswer) StatusCode() int      { return a.status }
