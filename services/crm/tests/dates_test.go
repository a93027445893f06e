package tests

import (
	"net/http"
	"net/url"
	"testing"
)

// TestDatesOutsideWhatIsStored: every date and time crm reads from a body
// or a query is checked against pkg/datetime's range (years 1000–9999)
// before it reaches PostgreSQL, which refuses year 0: 0000-01-01 was a 500
// on POST and PUT /deals. Each is a 4xx naming the field, and nothing is
// written.
func TestDatesOutsideWhatIsStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	lead := e.createLead(agent, map[string]any{"email": "dates@example.com"})
	deal := e.createDeal(agent, lead.ID, 100)
	bad := map[string]string{
		"year 0":        "0000-01-01",
		"year 10000":    "10000-01-01",
		"malformed":     "2026-02-30",
		"not a date":    "next week",
		"with a time":   "2026-06-30T00:00:00Z",
		"before 1000":   "0999-12-31",
		"one-digit day": "2026-06-1",
	}
	badTimes := map[string]string{
		"year 0":      "0000-01-01T00:00:00Z",
		"year 10000":  "10000-01-01T00:00:00Z",
		"malformed":   "2026-13-01T00:00:00Z",
		"no offset":   "2026-01-01T00:00:00",
		"not a time":  "yesterday",
		"odd offset":  "2026-01-01T00:00:00+20:00",
		"before 1000": "0999-12-31T23:59:59Z",
	}
	for name, v := range bad {
		t.Run("deal "+name, func(t *testing.T) {
			t.Parallel()
			expectField(t, e.call(http.MethodPost, "/api/v1/deals", agent,
				map[string]any{"lead_id": lead.ID, "title": "x", "value_cents": 1, "expected_close_date": v}),
				http.StatusUnprocessableEntity, "expected_close_date", "POST /deals "+v)
			expectField(t, e.call(http.MethodPut, "/api/v1/deals/"+deal.ID, agent, map[string]any{"expected_close_date": v}),
				http.StatusUnprocessableEntity, "expected_close_date", "PUT /deals "+v)
		})
	}
	for name, v := range badTimes {
		t.Run("time "+name, func(t *testing.T) {
			t.Parallel()
			expectField(t, e.call(http.MethodPost, "/api/v1/leads/"+lead.ID+"/activities", agent,
				map[string]any{"type": "call", "direction": "in", "occurred_at": v}),
				http.StatusUnprocessableEntity, "occurred_at", "activity "+v)
			for _, f := range []string{"created_from", "created_to"} {
				expectField(t, e.call(http.MethodPost, "/api/v1/search/leads", agent, map[string]any{f: v}),
					http.StatusUnprocessableEntity, f, "search "+f+" "+v)
				expectField(t, e.call(http.MethodGet, "/api/v1/leads?"+f+"="+url.QueryEscape(v), agent, nil),
					http.StatusBadRequest, f, "list "+f+" "+v)
			}
		})
	}
	// The range's ends are accepted and stored as given.
	for _, v := range []string{"1000-01-01", "9999-12-31"} {
		r := e.call(http.MethodPut, "/api/v1/deals/"+deal.ID, agent, map[string]any{"expected_close_date": v})
		expect(t, r, http.StatusOK, "PUT /deals "+v)
		if d := decode[map[string]any](t, r); d["expected_close_date"] != v {
			t.Fatalf("expected_close_date %v, want %s", d["expected_close_date"], v)
		}
	}
	expect(t, e.call(http.MethodGet, "/api/v1/leads?created_from="+url.QueryEscape("1000-01-01T00:00:00Z"), agent, nil), http.StatusOK, "list from 1000")
}
