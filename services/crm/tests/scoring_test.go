package tests

import (
	"net/http"
	"testing"
	"time"
)

// TestScoringThroughTheAPI: creation scores, an activity rescores (in the
// background job), the score history grows and the explicit score is
// deterministic for a fixed clock.
func TestScoringThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.runQueue()
	agent := e.user(newOrg(), permsAgent)
	lead := e.createLead(agent, map[string]any{
		"email": "score@example.com", "source": "referral", "status": "qualified",
		"budget_min_cents": 40_000_000, "budget_max_cents": 60_000_000, "target_price_cents": 50_000_000,
	})
	// source 90 → 14, budget fit 15, qualified 80% of 15 → 12; no activity.
	if lead.Score == nil || *lead.Score != 41 {
		t.Fatalf("initial score = %v", lead.Score)
	}
	expect(t, e.call("POST", "/api/v1/leads/"+lead.ID+"/activities", agent, map[string]any{
		"type": "call", "direction": "in", "outcome": "interested", "occurred_at": e.clock.Now(),
	}), http.StatusCreated, "activity")
	// + recency 25, frequency 1/10 of 20 → 2, responsiveness 10.
	var got leadJSON
	e.eventually("rescored after the activity", func() bool {
		got = decode[leadJSON](t, e.call("GET", "/api/v1/leads/"+lead.ID, agent, nil))
		return got.Score != nil && *got.Score != 41
	})
	if *got.Score != 78 {
		t.Fatalf("score after activity = %d", *got.Score)
	}
	e.clock.Advance(7 * 24 * time.Hour)
	r := e.call("POST", "/api/v1/leads/"+lead.ID+"/score", agent, nil)
	expect(t, r, http.StatusOK, "score")
	s := decode[scoreJSON](t, r)
	points := map[string]int{}
	for _, f := range s.Factors {
		points[f.Name] = f.Points
	}
	// A week later recency halves (12.5 → 13).
	if s.Score != 66 || points["recency"] != 13 || points["frequency"] != 2 || points["source_quality"] != 14 || points["budget_fit"] != 15 || points["stage"] != 12 || points["responsiveness"] != 10 {
		t.Fatalf("score = %+v", s)
	}
	again := decode[scoreJSON](t, e.call("POST", "/api/v1/leads/"+lead.ID+"/score", agent, nil))
	if again.Score != s.Score {
		t.Fatal("same inputs, different score")
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.lead_scores WHERE lead_id = $1`, lead.ID); n != 4 {
		t.Fatalf("score history = %d rows, want 4", n)
	}
	// Sorting and filtering by score see the stored value.
	l := decode[listJSON[leadJSON]](t, e.call("GET", "/api/v1/leads?score_min=60", agent, nil))
	if len(l.Items) != 1 {
		t.Fatalf("score_min filter = %+v", l)
	}
}
