package domain

import (
	"errors"
	"math/big"
	"sort"
	"time"
)

// Performance over a period [From, To] (both days included), per holding
// and for the portfolio, from the ledger entries and the marks:
//
//   - income and expenses by category: sums of the period's entries (voids
//     included, so a voided entry counts zero);
//   - NOI = income − operating expenses (every expense but interest, which
//     is debt service); cash flow = income − all expenses;
//   - cap rate = NOI annualised (× 365 / days in the period) ÷ the closing
//     value (the mark at To);
//   - cash-on-cash = cash flow annualised ÷ cash invested (the cost basis:
//     purchases and improvements up to To);
//   - appreciation = (closing value + sale proceeds of the period) −
//     (opening value + purchases and improvements of the period); its rate
//     is that ÷ (opening value + purchases and improvements of the period);
//   - IRR = XIRR of: the opening value paid in at From (a holding that
//     existed before the period), every entry of the period with its sign
//     (paid in negative, received positive), and the closing value
//     received at To (a holding still held at To) as the last flow.
//
// The opening value is the mark at From and the closing value the mark at
// To (the newest valuation as of that day). A holding that needs one and
// has none gets no appreciation, cap rate or IRR, with the reason: it is
// never valued at cost. The portfolio's figures that need every holding's
// marks are likewise withheld, naming the holdings.

// Mark is a property's value as of a day (a completed valuation).
type Mark struct {
	ValuationID   string
	PropertyID    string
	AsOf          time.Time
	EstimateCents int64
	LowCents      int64
	HighCents     int64
	Confidence    int
	Method        string
	CompletedAt   time.Time
	Source        string
	RecordedAt    time.Time
}

// Entry is a ledger entry as performance reads it (voids carry negative
// amounts). HoldingID is "" for the portfolio's own entries.
type Entry struct {
	HoldingID string
	Kind      string
	Category  string
	On        time.Time
	Cents     int64
}

// PerfHolding is a holding as performance reads it: where it stood before
// the period (Before: its entries' sums before From) and its marks.
type PerfHolding struct {
	ID, PropertyID string
	AcquiredOn     time.Time
	Before         Figures
	Opening        *Mark
	Closing        *Mark
}

// PerfInput is everything one performance report reads.
type PerfInput struct {
	From, To time.Time
	Holdings []PerfHolding
	// Entries are the period's, of every holding and of the portfolio.
	Entries []Entry
}

// Unavailable reasons of a figure.
const (
	MissingOpeningMark = "no_opening_mark"
	MissingClosingMark = "no_closing_mark"
	ZeroDenominator    = "zero_denominator"
)

// Metrics are one scope's figures (a holding's or the portfolio's). A
// rate that cannot be computed is nil with its reason in Unavailable.
type Metrics struct {
	IncomeByCategory   map[string]int64
	ExpensesByCategory map[string]int64
	IncomeCents        int64
	ExpenseCents       int64
	NOICents           int64
	CashFlowCents      int64
	InvestedCents      int64 // cost basis up to To
	PeriodInvestCents  int64 // purchases and improvements of the period
	ProceedsCents      int64 // sale proceeds of the period
	HeldAtEnd          bool
	OpeningValueCents  *int64
	ClosingValueCents  *int64
	AppreciationCents  *int64
	AppreciationRate   *string
	CapRate            *string
	CashOnCash         *string
	IRR                *string
	IRRMethod          string
	IRRRoots           []string
	// Unavailable says why each nil figure is missing (appreciation,
	// cap_rate, cash_on_cash, irr → reason, or the IRR's error text).
	Unavailable map[string]string
	// MissingMarks lists the holdings whose marks a portfolio figure needed.
	MissingMarks []string
}

// HoldingPerformance is one holding's figures.
type HoldingPerformance struct {
	HoldingID, PropertyID string
	Metrics
}

// PerfReport is a period's report.
type PerfReport struct {
	From, To  time.Time
	Days      int64
	Portfolio Metrics
	Holdings  []HoldingPerformance
}

// scope accumulates one scope's sums and flows.
type scope struct {
	m       Metrics
	flows   []Flow
	existed bool // held before From: needs an opening mark
}

func newScope() *scope {
	return &scope{m: Metrics{IncomeByCategory: map[string]int64{}, ExpensesByCategory: map[string]int64{}, Unavailable: map[string]string{}}}
}

func (s *scope) add(e Entry) error {
	var err error
	add := func(dst *int64, v int64) {
		if err != nil {
			return
		}
		var ok bool
		if *dst, ok = AddCents(*dst, v); !ok {
			err = ErrOverflow()
		}
	}
	switch e.Kind {
	case KindIncome:
		add(&s.m.IncomeCents, e.Cents)
		v := s.m.IncomeByCategory[e.Category]
		add(&v, e.Cents)
		s.m.IncomeByCategory[e.Category] = v
	case KindExpense:
		add(&s.m.ExpenseCents, e.Cents)
		v := s.m.ExpensesByCategory[e.Category]
		add(&v, e.Cents)
		s.m.ExpensesByCategory[e.Category] = v
	case KindPurchase, KindCapitalImprovement:
		add(&s.m.PeriodInvestCents, e.Cents)
	case KindSale:
		add(&s.m.ProceedsCents, e.Cents)
	}
	s.flows = append(s.flows, Flow{On: e.On, Cents: Sign(e.Kind) * e.Cents})
	return err
}

// Performance computes the report of in.
func Performance(in PerfInput) (PerfReport, error) {
	rep := PerfReport{From: in.From, To: in.To, Days: int64(in.To.Sub(in.From).Hours()/24) + 1}
	total := newScope()
	byID := make(map[string]*scope, len(in.Holdings))
	for _, h := range in.Holdings {
		s := newScope()
		s.existed = h.AcquiredOn.Before(in.From) && (h.Before.CostBasis != 0 || h.Before.Proceeds != 0)
		s.m.InvestedCents = h.Before.CostBasis
		byID[h.ID] = s
	}
	for _, e := range in.Entries {
		if e.HoldingID != "" {
			s, ok := byID[e.HoldingID]
			if !ok {
				return rep, errors.New("performance: entry of an unknown holding " + e.HoldingID)
			}
			if err := s.add(e); err != nil {
				return rep, err
			}
		}
		if err := total.add(e); err != nil {
			return rep, err
		}
	}
	var totalInvested, totalOpening, totalClosing int64
	openingOK, closingOK := true, true
	for _, h := range in.Holdings {
		s := byID[h.ID]
		var err error
		if s.m.InvestedCents, err = Sum(s.m.InvestedCents, s.m.PeriodInvestCents); err != nil {
			return rep, err
		}
		soldBefore := h.Before.Proceeds > 0
		s.m.HeldAtEnd = !soldBefore && h.Before.Proceeds+s.m.ProceedsCents <= 0 && (s.existed || s.m.PeriodInvestCents > 0)
		if s.existed && !soldBefore {
			if h.Opening == nil {
				s.m.Unavailable["opening_value"] = MissingOpeningMark
			} else {
				v := h.Opening.EstimateCents
				s.m.OpeningValueCents = &v
				s.flows = append(s.flows, Flow{On: in.From, Cents: -v})
			}
		} else {
			zero := int64(0)
			s.m.OpeningValueCents = &zero
		}
		if s.m.HeldAtEnd {
			if h.Closing == nil {
				s.m.Unavailable["closing_value"] = MissingClosingMark
			} else {
				v := h.Closing.EstimateCents
				s.m.ClosingValueCents = &v
				s.flows = append(s.flows, Flow{On: in.To, Cents: v})
			}
		} else {
			zero := int64(0)
			s.m.ClosingValueCents = &zero
		}
		if err := s.finish(rep.Days); err != nil {
			return rep, err
		}
		if totalInvested, err = Sum(totalInvested, s.m.InvestedCents); err != nil {
			return rep, err
		}
		if s.m.OpeningValueCents == nil || s.m.ClosingValueCents == nil {
			total.m.MissingMarks = append(total.m.MissingMarks, h.ID)
		}
		if s.m.OpeningValueCents == nil {
			openingOK = false
		} else if totalOpening, err = Sum(totalOpening, *s.m.OpeningValueCents); err != nil {
			return rep, err
		}
		if s.m.ClosingValueCents == nil {
			closingOK = false
		} else if totalClosing, err = Sum(totalClosing, *s.m.ClosingValueCents); err != nil {
			return rep, err
		}
		rep.Holdings = append(rep.Holdings, HoldingPerformance{HoldingID: h.ID, PropertyID: h.PropertyID, Metrics: s.m})
		if s.m.OpeningValueCents != nil && *s.m.OpeningValueCents != 0 {
			total.flows = append(total.flows, Flow{On: in.From, Cents: -*s.m.OpeningValueCents})
		}
		if s.m.ClosingValueCents != nil && *s.m.ClosingValueCents != 0 {
			total.flows = append(total.flows, Flow{On: in.To, Cents: *s.m.ClosingValueCents})
		}
	}
	total.m.InvestedCents = totalInvested
	total.m.HeldAtEnd = closingOK
	if openingOK {
		total.m.OpeningValueCents = &totalOpening
	} else {
		total.m.Unavailable["opening_value"] = MissingOpeningMark
	}
	if closingOK {
		total.m.ClosingValueCents = &totalClosing
	} else {
		total.m.Unavailable["closing_value"] = MissingClosingMark
	}
	if err := total.finish(rep.Days); err != nil {
		return rep, err
	}
	rep.Portfolio = total.m
	sort.Slice(rep.Holdings, func(i, j int) bool { return rep.Holdings[i].HoldingID < rep.Holdings[j].HoldingID })
	return rep, nil
}

// finish computes a scope's derived figures once its sums and values are in.
func (s *scope) finish(days int64) error {
	m := &s.m
	interest := m.ExpensesByCategory["interest"]
	var err error
	if m.NOICents, err = Sum(m.IncomeCents, -(m.ExpenseCents - interest)); err != nil {
		return err
	}
	if m.CashFlowCents, err = Sum(m.IncomeCents, -m.ExpenseCents); err != nil {
		return err
	}
	annual := func(c int64) *big.Int { return new(big.Int).Mul(big.NewInt(c), big.NewInt(365)) }
	perDays := func(v *big.Int) *big.Int { return new(big.Int).Mul(v, big.NewInt(days)) }
	setRate := func(name string, dst **string, num, den *big.Int) {
		if r, ok := Ratio(num, den); ok {
			*dst = &r
		} else {
			m.Unavailable[name] = ZeroDenominator
		}
	}
	// cash-on-cash = (cash flow × 365 / days) / invested
	setRate("cash_on_cash", &m.CashOnCash, annual(m.CashFlowCents), perDays(big.NewInt(m.InvestedCents)))
	switch {
	case m.ClosingValueCents == nil:
		m.Unavailable["cap_rate"] = MissingClosingMark
	case !m.HeldAtEnd:
		m.Unavailable["cap_rate"] = "not_held_at_end"
	default:
		setRate("cap_rate", &m.CapRate, annual(m.NOICents), perDays(big.NewInt(*m.ClosingValueCents)))
	}
	if m.OpeningValueCents == nil || m.ClosingValueCents == nil {
		reason := MissingClosingMark
		if m.OpeningValueCents == nil {
			reason = MissingOpeningMark
		}
		m.Unavailable["appreciation"], m.Unavailable["irr"] = reason, reason
		return nil
	}
	gain, err := Sum(*m.ClosingValueCents, m.ProceedsCents, -*m.OpeningValueCents, -m.PeriodInvestCents)
	if err != nil {
		return err
	}
	m.AppreciationCents = &gain
	base, err := Sum(*m.OpeningValueCents, m.PeriodInvestCents)
	if err != nil {
		return err
	}
	setRate("appreciation_rate", &m.AppreciationRate, big.NewInt(gain), big.NewInt(base))
	irr, err := XIRR(s.flows)
	switch {
	case err == nil:
		r := FormatFloatRate(irr.Rate)
		m.IRR, m.IRRMethod = &r, irr.Method
	default:
		m.Unavailable["irr"] = err.Error()
		for _, root := range irr.Roots {
			m.IRRRoots = append(m.IRRRoots, FormatFloatRate(root))
		}
	}
	return nil
}
