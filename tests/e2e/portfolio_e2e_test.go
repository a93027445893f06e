package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"reos.dev/pkg/testkit"
)

// portfolioScenarios drive the portfolio service through nginx and the
// gateway: a holding of a property created a moment ago (portfolio asks
// property when its read model has not seen it yet), the money rules, the
// holding marked to the property's valuation once property announces it,
// performance and a reconciliation that passes.
func portfolioScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	var prop struct{ ID string }
	for i, price := range []int64{60_000_000, 58_000_000, 61_000_000, 59_000_000, 62_000_000} {
		r := do(t, http.MethodPost, api+"/properties", a.admin, map[string]any{
			"unparsed_address": strconv.Itoa(20+i) + " Holding Road", "city": "Austin", "postal_code": "78798",
			"list_price_cents": price, "property_type": "Residential", "living_area": 2000 + 50*i, "bedrooms_total": 3,
			"bathrooms_total_integer": 2, "year_built": 2001, "latitude": 30.31 + 0.001*float64(i), "longitude": -97.75,
		})
		expectStatus(t, r, http.StatusCreated, "create property")
		if i == 0 {
			r.json(t, &prop)
		}
	}
	r := do(t, http.MethodPost, api+"/portfolio", a.admin, map[string]any{"name": "E2E fund", "currency": "USD"})
	expectStatus(t, r, http.StatusCreated, "create portfolio")
	var p struct{ ID string }
	r.json(t, &p)
	base := api + "/portfolio/" + p.ID

	holding := map[string]any{"property_id": prop.ID, "acquired_on": "2024-01-02", "cost_basis_cents": 55_000_000, "currency": "USD"}
	wrong := map[string]any{"property_id": prop.ID, "acquired_on": "2024-01-02", "cost_basis_cents": 55_000_000, "currency": "EUR"}
	r = do(t, http.MethodPost, base+"/holdings", a.admin, wrong)
	expectStatus(t, r, http.StatusUnprocessableEntity, "another currency")
	if f := problemFields(t, r); len(f) != 1 || f[0] != "currency" {
		t.Fatalf("another currency names %v", f)
	}
	r = do(t, http.MethodPost, base+"/holdings", a.admin, holding)
	expectStatus(t, r, http.StatusCreated, "add holding")
	var h struct{ ID string }
	r.json(t, &h)
	expectStatus(t, do(t, http.MethodPost, base+"/holdings", a.viewer, holding), http.StatusForbidden, "a viewer adds a holding")
	expectStatus(t, do(t, http.MethodGet, base, a.outsider, nil), http.StatusNotFound, "another organisation's portfolio")

	for _, e := range []map[string]any{
		{"holding_id": h.ID, "kind": "income", "category": "rent", "amount_cents": 300_000, "currency": "USD", "occurred_on": "2024-02-01"},
		{"holding_id": h.ID, "kind": "expense", "category": "tax", "amount_cents": 50_000, "currency": "USD", "occurred_on": "2024-03-01"},
	} {
		expectStatus(t, do(t, http.MethodPost, base+"/transactions", a.admin, e), http.StatusCreated, "record an entry")
	}
	r = do(t, http.MethodGet, base+"/transactions?kind=income,expense", a.viewer, nil)
	expectStatus(t, r, http.StatusOK, "list entries")
	var entries struct {
		Items []struct {
			AmountCents int64 `json:"amount_cents"`
		}
	}
	r.json(t, &entries)
	if len(entries.Items) != 2 {
		t.Fatalf("entries %s", r.Body)
	}

	// Property values the subject; its event reaches portfolio's read model.
	r = do(t, http.MethodPost, api+"/properties/"+prop.ID+"/valuations", a.admin, nil)
	expectStatus(t, r, http.StatusAccepted, "request valuation")
	var v struct{ ID string }
	r.json(t, &v)
	var valuation struct {
		MarkedValueCents int64 `json:"marked_value_cents"`
		Holdings         []struct {
			Mark *struct {
				ValuationID string `json:"valuation_id"`
				ValueCents  int64  `json:"value_cents"`
				Source      string `json:"source"`
			} `json:"mark"`
		} `json:"holdings"`
	}
	testkit.Eventually(t, eventTimeout, func() bool {
		r = do(t, http.MethodGet, base+"/valuation", a.viewer, nil)
		expectStatus(t, r, http.StatusOK, "valuation")
		r.json(t, &valuation)
		return len(valuation.Holdings) == 1 && valuation.Holdings[0].Mark != nil && valuation.Holdings[0].Mark.ValuationID == v.ID
	}, func() string { return fmt.Sprintf("the holding was never marked to valuation %s: %s", v.ID, r.Body) })
	mark := valuation.Holdings[0].Mark
	if mark.ValueCents <= 0 || valuation.MarkedValueCents != mark.ValueCents {
		t.Fatalf("valuation %s", r.Body)
	}

	r = do(t, http.MethodGet, base+"/performance?from=2024-01-02", a.viewer, nil)
	expectStatus(t, r, http.StatusOK, "performance")
	var perf struct {
		Portfolio struct {
			IncomeCents int64   `json:"income_cents"`
			NOICents    int64   `json:"noi_cents"`
			CapRate     *string `json:"cap_rate"`
		} `json:"portfolio"`
	}
	r.json(t, &perf)
	if perf.Portfolio.IncomeCents != 300_000 || perf.Portfolio.NOICents != 250_000 || perf.Portfolio.CapRate == nil {
		t.Fatalf("performance %s", r.Body)
	}

	r = do(t, http.MethodPost, base+"/reconcile", a.admin, nil)
	expectStatus(t, r, http.StatusCreated, "reconcile")
	var rec struct {
		Status      string `json:"status"`
		LedgerCents int64  `json:"ledger_cents"`
	}
	r.json(t, &rec)
	if rec.Status != "passed" || rec.LedgerCents != 55_000_000 {
		t.Fatalf("reconciliation %s", r.Body)
	}
}
