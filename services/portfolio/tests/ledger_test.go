package tests

import (
	"net/http"
	"strings"
	"testing"
)

func TestPortfolioCreateGetUpdateList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Income fund")
	if p.Currency != "USD" || p.Summary.Holdings != 0 {
		t.Fatalf("created %+v", p)
	}
	r := e.call(http.MethodPut, "/api/v1/portfolio/"+p.ID, admin, map[string]any{"name": "Income fund II"})
	expect(t, r, http.StatusOK, "rename")
	if got := decode[portfolioJSON](t, r); got.Name != "Income fund II" || got.Currency != "USD" {
		t.Fatalf("renamed %+v", got)
	}
	expectField(t, e.call(http.MethodPut, "/api/v1/portfolio/"+p.ID, admin, map[string]any{"name": "X", "currency": "EUR"}),
		http.StatusUnprocessableEntity, "currency", "the currency cannot change")
	expectField(t, e.call(http.MethodPost, "/api/v1/portfolio", admin, map[string]any{"name": "No currency"}),
		http.StatusUnprocessableEntity, "currency", "a portfolio needs its currency")
	expectField(t, e.call(http.MethodPost, "/api/v1/portfolio", admin, map[string]any{"name": "Bad", "currency": "ZZZ"}),
		http.StatusUnprocessableEntity, "currency", "not an ISO 4217 code")
	expect(t, e.call(http.MethodPost, "/api/v1/portfolio", admin, map[string]any{"name": "Income fund II", "currency": "USD"}),
		http.StatusConflict, "a taken name")
	second := e.portfolio(admin, "Growth")
	r = e.call(http.MethodGet, "/api/v1/portfolio?limit=1", admin, nil)
	expect(t, r, http.StatusOK, "list")
	page := decode[listJSON[portfolioJSON]](t, r)
	if len(page.Items) != 1 || page.Items[0].ID != second.ID || page.NextCursor == nil {
		t.Fatalf("first page %+v", page)
	}
	r = e.call(http.MethodGet, "/api/v1/portfolio?limit=1&cursor="+*page.NextCursor, admin, nil)
	page = decode[listJSON[portfolioJSON]](t, r)
	if len(page.Items) != 1 || page.Items[0].ID != p.ID || page.NextCursor != nil {
		t.Fatalf("second page %+v", page)
	}
	expectField(t, e.call(http.MethodGet, "/api/v1/portfolio?cursor=forged", admin, nil), http.StatusBadRequest, "cursor", "a forged cursor")
}

// TestLedgerMoneyRules: amounts are cents in the portfolio's currency,
// given explicitly; another currency, a fraction, a float or an amount out
// of range is a 422 naming the field; a holding's figures follow its
// entries.
func TestLedgerMoneyRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Ledger")
	h := e.holding(admin, p.ID, e.knownProperty(org), "2024-01-15", 250_000_00)
	if h.CostBasisCents != 250_000_00 || h.Status != "held" {
		t.Fatalf("holding %+v", h)
	}
	path := "/api/v1/portfolio/" + p.ID + "/transactions"
	base := func(over map[string]any) map[string]any {
		b := map[string]any{"holding_id": h.ID, "kind": "income", "category": "rent", "amount_cents": 1500_00, "currency": "USD",
			"occurred_on": "2024-02-01"}
		for k, v := range over {
			b[k] = v
		}
		return b
	}
	for _, c := range []struct {
		name, field string
		body        map[string]any
	}{
		{"another currency", "currency", base(map[string]any{"currency": "EUR"})},
		{"no currency", "currency", base(map[string]any{"currency": ""})},
		{"a float amount", "amount_cents", base(map[string]any{"amount_cents": 15.5})},
		{"a zero amount", "amount_cents", base(map[string]any{"amount_cents": 0})},
		{"a negative amount", "amount_cents", base(map[string]any{"amount_cents": -5})},
		{"an amount past the bound", "amount_cents", base(map[string]any{"amount_cents": int64(10_000_000_000_001)})},
		{"an unknown kind", "kind", base(map[string]any{"kind": "gift"})},
		{"a category of another kind", "category", base(map[string]any{"category": "tax"})},
		{"a bad date", "occurred_on", base(map[string]any{"occurred_on": "2024-02-30"})},
		{"a date before 1900", "occurred_on", base(map[string]any{"occurred_on": "1899-12-31"})},
		{"a sale of no holding", "holding_id", base(map[string]any{"holding_id": nil, "kind": "sale", "category": "sale"})},
		{"another portfolio's holding", "holding_id", base(map[string]any{"holding_id": newID()})},
	} {
		expectField(t, e.call(http.MethodPost, path, admin, c.body), http.StatusUnprocessableEntity, c.field, c.name)
	}
	e.entry(admin, p.ID, base(nil))
	e.entry(admin, p.ID, base(map[string]any{"kind": "expense", "category": "tax", "amount_cents": 300_00}))
	e.entry(admin, p.ID, base(map[string]any{"kind": "capital_improvement", "category": "", "amount_cents": 10_000_00}))
	e.entry(admin, p.ID, map[string]any{"kind": "expense", "category": "management", "amount_cents": 99, "occurred_on": "2024-02-02"})
	var got holdingJSON
	var status, soldOn string
	if err := e.admin.QueryRow(t.Context(), `SELECT cost_basis_cents, income_cents, expense_cents, status, coalesce(sold_on::text, '')
FROM portfolio.holdings WHERE id = $1`, h.ID).Scan(&got.CostBasisCents, &got.IncomeCents, &got.ExpenseCents, &status, &soldOn); err != nil {
		t.Fatal(err)
	}
	if got.CostBasisCents != 260_000_00 || got.IncomeCents != 1500_00 || got.ExpenseCents != 300_00 || status != "held" {
		t.Fatalf("holding figures %+v %s", got, status)
	}
	sale := e.entry(admin, p.ID, base(map[string]any{"kind": "sale", "category": "sale", "amount_cents": 300_000_00, "occurred_on": "2024-06-30"}))
	expect(t, e.call(http.MethodPost, path, admin, base(map[string]any{"kind": "sale", "category": "sale", "occurred_on": "2024-07-01"})),
		http.StatusConflict, "a second sale")
	e.entry(admin, p.ID, map[string]any{"voids": sale.ID})
	e.entry(admin, p.ID, base(map[string]any{"kind": "sale", "category": "sale", "amount_cents": 310_000_00, "occurred_on": "2024-07-01"}))
	if err := e.admin.QueryRow(t.Context(), `SELECT proceeds_cents, status, sold_on::text FROM portfolio.holdings WHERE id = $1`, h.ID).
		Scan(&got.ProceedsCents, &status, &soldOn); err != nil {
		t.Fatal(err)
	}
	if got.ProceedsCents != 310_000_00 || status != "sold" || soldOn != "2024-07-01" {
		t.Fatalf("after the corrected sale: proceeds %d, %s on %s", got.ProceedsCents, status, soldOn)
	}
}

// TestCorrectionIsAVoidPlusANewEntry: an entry is never changed; its void
// carries the negated amount and names it; it is voided once; a void is
// not voided; the service role cannot UPDATE or DELETE the ledger.
func TestCorrectionIsAVoidPlusANewEntry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Corrections")
	h := e.holding(admin, p.ID, e.knownProperty(org), "2024-01-15", 100_000_00)
	rent := e.entry(admin, p.ID, map[string]any{"holding_id": h.ID, "kind": "income", "category": "rent", "amount_cents": 1200_00,
		"occurred_on": "2024-02-01"})
	path := "/api/v1/portfolio/" + p.ID + "/transactions"
	expectField(t, e.call(http.MethodPost, path, admin, map[string]any{"voids": rent.ID, "amount_cents": 5}),
		http.StatusUnprocessableEntity, "amount_cents", "a void carries the original's amount")
	void := e.entry(admin, p.ID, map[string]any{"voids": rent.ID, "memo": "wrong month"})
	if void.AmountCents != -rent.AmountCents || void.Voids == nil || *void.Voids != rent.ID || void.Kind != "income" || void.OccurredOn != "2024-02-01" {
		t.Fatalf("void %+v", void)
	}
	expect(t, e.call(http.MethodPost, path, admin, map[string]any{"voids": rent.ID}), http.StatusConflict, "voided twice")
	expectField(t, e.call(http.MethodPost, path, admin, map[string]any{"voids": void.ID}), http.StatusUnprocessableEntity, "voids", "a void voided")
	expectField(t, e.call(http.MethodPost, path, admin, map[string]any{"voids": newID()}), http.StatusUnprocessableEntity, "voids", "an unknown entry")
	e.entry(admin, p.ID, map[string]any{"holding_id": h.ID, "kind": "income", "category": "rent", "amount_cents": 1250_00, "occurred_on": "2024-03-01"})
	if n := scalar[int64](e, `SELECT income_cents FROM portfolio.holdings WHERE id = $1`, h.ID); n != 1250_00 {
		t.Fatalf("income after the correction = %d", n)
	}
	r := e.call(http.MethodGet, path+"?voids=exclude&kind=income", admin, nil)
	expect(t, r, http.StatusOK, "list")
	items := decode[listJSON[transactionJSON]](t, r).Items
	if len(items) != 2 || items[0].OccurredOn != "2024-03-01" || items[1].VoidedBy == nil || *items[1].VoidedBy != void.ID {
		t.Fatalf("entries %+v", items)
	}
	for _, stmt := range []string{
		`UPDATE portfolio.transactions SET amount_cents = 1 WHERE id = '` + rent.ID + `'`,
		`DELETE FROM portfolio.transactions WHERE id = '` + rent.ID + `'`,
	} {
		_, err := e.pool.Exec(t.Context(), "SELECT set_config('app.org_id', '"+org+"', false); "+stmt)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as the service role: %v, want permission denied", stmt, err)
		}
	}
}

func TestTransactionListFiltersAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Paging")
	h := e.holding(admin, p.ID, e.knownProperty(org), "2023-12-31", 50_000_00)
	for _, day := range []string{"2024-01-05", "2024-01-05", "2024-02-05", "2024-03-05", "2024-04-05"} {
		e.entry(admin, p.ID, map[string]any{"holding_id": h.ID, "kind": "income", "category": "rent", "amount_cents": 100, "occurred_on": day})
	}
	path := "/api/v1/portfolio/" + p.ID + "/transactions"
	var seen []transactionJSON
	next := ""
	for {
		r := e.call(http.MethodGet, path+"?kind=income&from=2024-01-01&to=2024-03-31&limit=2&cursor="+next, admin, nil)
		expect(t, r, http.StatusOK, "page")
		page := decode[listJSON[transactionJSON]](t, r)
		seen = append(seen, page.Items...)
		if page.NextCursor == nil {
			break
		}
		next = *page.NextCursor
	}
	if len(seen) != 4 || seen[0].OccurredOn != "2024-03-05" || seen[3].OccurredOn != "2024-01-05" || seen[2].ID == seen[3].ID {
		t.Fatalf("paged %+v", seen)
	}
	r := e.call(http.MethodGet, path+"?holding_id="+h.ID+"&kind=purchase", admin, nil)
	if items := decode[listJSON[transactionJSON]](t, r).Items; len(items) != 1 || items[0].AmountCents != 50_000_00 {
		t.Fatalf("the purchase %+v", items)
	}
	for param, value := range map[string]string{"kind": "gift", "from": "2024-13-01", "holding_id": "x", "voids": "all",
		"sort": "amount", "category": "nope", "limit": "0"} {
		expectField(t, e.call(http.MethodGet, path+"?"+param+"="+value, admin, nil), http.StatusBadRequest, param, param)
	}
}

// TestHoldingPropertyChecks: the property must be the organisation's (read
// model, else property itself), not archived, and held once per portfolio.
func TestHoldingPropertyChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Holdings")
	path := "/api/v1/portfolio/" + p.ID + "/holdings"
	body := func(pid string) map[string]any {
		return map[string]any{"property_id": pid, "acquired_on": "2024-01-01", "cost_basis_cents": 1_000_00, "currency": "USD"}
	}
	expectField(t, e.call(http.MethodPost, path, admin, body(newID())), http.StatusUnprocessableEntity, "property_id", "unknown everywhere")
	// Another organisation's property is unknown here.
	other := e.knownProperty(newOrg())
	expectField(t, e.call(http.MethodPost, path, admin, body(other)), http.StatusUnprocessableEntity, "property_id", "another org's")
	archived := e.knownProperty(org)
	e.apply(propertyEvent(t, "reos.property.property.archived", org, archived, e.clock.Now(), map[string]any{"property_id": archived}))
	expectField(t, e.call(http.MethodPost, path, admin, body(archived)), http.StatusUnprocessableEntity, "property_id", "archived")
	b := body(e.knownProperty(org))
	b["currency"] = "EUR"
	expectField(t, e.call(http.MethodPost, path, admin, b), http.StatusUnprocessableEntity, "currency", "another currency")
	// Not in the read model yet, but property knows it: asked, then known.
	fresh := newID()
	e.property.set(func(f *fakeProperty) { f.properties[fresh] = false })
	expect(t, e.call(http.MethodPost, path, admin, body(fresh)), http.StatusCreated, "known to property only")
	if n := scalar[int](e, `SELECT count(*) FROM portfolio.known_properties WHERE property_id = $1`, fresh); n != 1 {
		t.Fatalf("the fallback's answer was not kept: %d rows", n)
	}
	expect(t, e.call(http.MethodPost, path, admin, body(fresh)), http.StatusConflict, "held twice")
	e.property.set(func(f *fakeProperty) { f.down = true })
	expect(t, e.call(http.MethodPost, path, admin, body(newID())), http.StatusServiceUnavailable, "property down and the read model blind")
	expect(t, e.call(http.MethodPost, path, admin, body(e.knownProperty(org))), http.StatusCreated, "property down, read model knows it")
}
