package tests

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/portfolio/internal/domain"
)

type metricsJSON struct {
	IncomeCents        int64             `json:"income_cents"`
	ExpenseCents       int64             `json:"expense_cents"`
	IncomeByCategory   map[string]int64  `json:"income_by_category"`
	ExpensesByCategory map[string]int64  `json:"expenses_by_category"`
	NOICents           int64             `json:"noi_cents"`
	CashFlowCents      int64             `json:"cash_flow_cents"`
	InvestedCents      int64             `json:"invested_cents"`
	ClosingValueCents  *int64            `json:"closing_value_cents"`
	AppreciationCents  *int64            `json:"appreciation_cents"`
	AppreciationRate   *string           `json:"appreciation_rate"`
	CapRate            *string           `json:"cap_rate"`
	CashOnCash         *string           `json:"cash_on_cash"`
	IRR                *string           `json:"irr"`
	Unavailable        map[string]string `json:"unavailable"`
	MissingMarks       []string          `json:"missing_marks"`
}

type performanceJSON struct {
	From, To  string
	Days      int64       `json:"days"`
	Portfolio metricsJSON `json:"portfolio"`
	Holdings  []struct {
		HoldingID string `json:"holding_id"`
		metricsJSON
	} `json:"holdings"`
}

func (e *env) performance(u user, portfolioID, query string) performanceJSON {
	e.t.Helper()
	r := e.call(http.MethodGet, "/api/v1/portfolio/"+portfolioID+"/performance"+query, u, nil)
	expect(e.t, r, http.StatusOK, "performance")
	return decode[performanceJSON](e.t, r)
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// TestPerformanceOverAYear: one holding bought on 2023-01-01 for
// 1,000,000.00, rented at 5,000.00 a month, 6,000.00 of tax and 10,000.00
// of interest, marked at 1,100,000.00 as of 2023-12-31; a second bought in
// June has no mark. The figures below are worked by hand from those
// numbers; the IRR is checked against the solver run on the flows the test
// itself lists.
func TestPerformanceOverAYear(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Performance")
	a, b := e.knownProperty(org), e.knownProperty(org)
	ha := e.holding(admin, p.ID, a, "2023-01-01", 1_000_000_00)
	hb := e.holding(admin, p.ID, b, "2023-06-01", 500_000_00)
	flows := []domain.Flow{{On: day(t, "2023-01-01"), Cents: -1_000_000_00}}
	for m := 1; m <= 12; m++ {
		on := fmt.Sprintf("2023-%02d-01", m)
		e.entry(admin, p.ID, map[string]any{"holding_id": ha.ID, "kind": "income", "category": "rent", "amount_cents": 5_000_00, "occurred_on": on})
		flows = append(flows, domain.Flow{On: day(t, on), Cents: 5_000_00})
	}
	e.entry(admin, p.ID, map[string]any{"holding_id": ha.ID, "kind": "expense", "category": "tax", "amount_cents": 6_000_00, "occurred_on": "2023-04-15"})
	e.entry(admin, p.ID, map[string]any{"holding_id": ha.ID, "kind": "expense", "category": "interest", "amount_cents": 10_000_00, "occurred_on": "2023-12-15"})
	flows = append(flows, domain.Flow{On: day(t, "2023-04-15"), Cents: -6_000_00}, domain.Flow{On: day(t, "2023-12-15"), Cents: -10_000_00},
		domain.Flow{On: day(t, "2023-12-31"), Cents: 1_100_000_00})
	// A voided entry counts zero.
	wrong := e.entry(admin, p.ID, map[string]any{"holding_id": ha.ID, "kind": "expense", "category": "maintenance", "amount_cents": 777_00, "occurred_on": "2023-05-05"})
	e.entry(admin, p.ID, map[string]any{"voids": wrong.ID})
	e.apply(valuationEvent(t, org, a, newID(), "2023-12-31", 1_100_000_00, e.clock.Now()))
	e.apply(valuationEvent(t, org, a, newID(), "2024-02-01", 9_999_999_00, e.clock.Now())) // after the period

	perf := e.performance(admin, p.ID, "?from=2023-01-01&to=2023-12-31")
	if perf.Days != 365 {
		t.Fatalf("days %d", perf.Days)
	}
	var ma, mb metricsJSON
	for _, h := range perf.Holdings {
		switch h.HoldingID {
		case ha.ID:
			ma = h.metricsJSON
		case hb.ID:
			mb = h.metricsJSON
		}
	}
	if ma.IncomeCents != 60_000_00 || ma.ExpenseCents != 16_000_00 || ma.IncomeByCategory["rent"] != 60_000_00 ||
		ma.ExpensesByCategory["tax"] != 6_000_00 || ma.ExpensesByCategory["interest"] != 10_000_00 || ma.ExpensesByCategory["maintenance"] != 0 {
		t.Fatalf("a's sums %+v", ma)
	}
	if ma.NOICents != 54_000_00 || ma.CashFlowCents != 44_000_00 || ma.InvestedCents != 1_000_000_00 {
		t.Fatalf("a's NOI, cash flow, invested %+v", ma)
	}
	// 54,000 / 1,100,000 = 0.0490909…; 44,000 / 1,000,000; 100,000 / 1,000,000.
	if str(ma.CapRate) != "0.049090909" || str(ma.CashOnCash) != "0.044" || str(ma.AppreciationRate) != "0.1" ||
		ma.AppreciationCents == nil || *ma.AppreciationCents != 100_000_00 {
		t.Fatalf("a's rates: cap %s, cash-on-cash %s, appreciation %s", str(ma.CapRate), str(ma.CashOnCash), str(ma.AppreciationRate))
	}
	irr, err := domain.XIRR(flows)
	if err != nil {
		t.Fatal(err)
	}
	if want := domain.FormatFloatRate(irr.Rate); str(ma.IRR) != want {
		t.Fatalf("a's IRR %s, want %s", str(ma.IRR), want)
	}
	if mb.IRR != nil || mb.Unavailable["irr"] != domain.MissingClosingMark || mb.CapRate != nil {
		t.Fatalf("b has no mark: %+v", mb)
	}
	pm := perf.Portfolio
	if pm.IRR != nil || len(pm.MissingMarks) != 1 || pm.MissingMarks[0] != hb.ID || pm.IncomeCents != 60_000_00 || pm.InvestedCents != 1_500_000_00 {
		t.Fatalf("portfolio %+v", pm)
	}
	// The default period runs from the first entry to today.
	if all := e.performance(admin, p.ID, ""); all.From != "2023-01-01" || all.To != e.clock.Now().Format(time.DateOnly) {
		t.Fatalf("default period %s – %s", all.From, all.To)
	}
	expectField(t, e.call(http.MethodGet, "/api/v1/portfolio/"+p.ID+"/performance?from=2024-01-01&to=2023-01-01", admin, nil),
		http.StatusBadRequest, "from", "from after to")
	expectField(t, e.call(http.MethodGet, "/api/v1/portfolio/"+p.ID+"/performance?to=yesterday", admin, nil),
		http.StatusBadRequest, "to", "a bad date")
}

// TestHundredThousandSmallEntriesSumExactly: 100,000 entries of 1 to 97
// cents (written straight into the ledger, as a bulk load would) sum to
// the cent in the performance totals, per category, and in the
// reconciliation's ledger figures: nothing is lost or made on the way.
func TestHundredThousandSmallEntriesSumExactly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Pennies")
	h := e.holding(admin, p.ID, e.knownProperty(org), "2023-01-01", 1_00)
	const n = 100_000
	cats := []string{"rent", "parking", "fees", "other_income"}
	want := map[string]int64{}
	var total int64
	rows := make([][]any, n)
	start := day(t, "2023-01-01")
	for i := range rows {
		amount := int64(i%97 + 1)
		cat := cats[i%len(cats)]
		want[cat] += amount
		total += amount
		rows[i] = []any{org, newID(), p.ID, h.ID, "income", cat, amount, "USD", start.AddDate(0, 0, i%365), "", e.clock.Now()}
	}
	if _, err := e.admin.CopyFrom(context.Background(), pgx.Identifier{"portfolio", "transactions"},
		[]string{"org_id", "id", "portfolio_id", "holding_id", "kind", "category", "amount_cents", "currency", "occurred_on", "memo", "recorded_at"},
		pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	perf := e.performance(admin, p.ID, "?from=2023-01-01&to=2023-12-31")
	if perf.Portfolio.IncomeCents != total {
		t.Fatalf("income %d, want %d", perf.Portfolio.IncomeCents, total)
	}
	var byCat int64
	for _, c := range cats {
		if perf.Portfolio.IncomeByCategory[c] != want[c] {
			t.Errorf("%s: %d, want %d", c, perf.Portfolio.IncomeByCategory[c], want[c])
		}
		byCat += perf.Portfolio.IncomeByCategory[c]
	}
	if byCat != total {
		t.Errorf("the categories add up to %d, not %d", byCat, total)
	}
	// The holding's summary never saw them: the reconciliation's expected
	// (ledger) income is the exact total.
	rec := e.reconcile(admin, p.ID, http.StatusCreated)
	if len(rec.Differences) != 1 || rec.Differences[0].Measure != "income" || rec.Differences[0].ExpectedCents != total {
		t.Fatalf("reconciliation %+v, want the income of %d cents", rec, total)
	}
}

func day(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
