package tests

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// rescoreJobs counts the lead's rescore jobs in state (River's table).
func (e *env) rescoreJobs(leadID, state string) int64 {
	e.t.Helper()
	return scalar[int64](e, `SELECT count(*) FROM crm.river_job WHERE kind = 'crm.lead_rescore' AND args->>'lead_id' = $1 AND state = $2`, leadID, state)
}

// scoreRows counts the lead's score history.
func (e *env) scoreRows(leadID string) int64 {
	e.t.Helper()
	return scalar[int64](e, `SELECT count(*) FROM crm.lead_scores WHERE lead_id = $1`, leadID)
}

// scoredEvents counts the lead.scored events of the lead in the outbox.
func (e *env) scoredEvents(leadID string) int64 {
	e.t.Helper()
	return scalar[int64](e, `SELECT count(*) FROM crm.outbox WHERE payload::jsonb->>'type' = 'reos.crm.lead.scored' AND msg_key = $1`, leadID)
}

// TestActivityRescoresInTheBackground: logging activities enqueues one
// rescore job per lead however many arrive before it runs; the job scores
// the lead with the known model (a new history row, the value on the lead,
// exactly one lead.scored event with the factors); replaying the finished
// job through the jobs API adds nothing; a new activity that changes the
// score is scored again, one that changes no factor is not.
func TestActivityRescoresInTheBackground(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	agent := e.user(org, permsAgent)
	admin := e.user(org, permsAdmin)
	lead := e.createLead(agent, map[string]any{
		"email": "bg@example.com", "source": "referral", "status": "qualified",
		"budget_min_cents": 40_000_000, "budget_max_cents": 60_000_000, "target_price_cents": 50_000_000,
	})
	// source 90 → 14, budget fit 15, qualified → 12.
	if lead.Score == nil || *lead.Score != 41 || e.scoreRows(lead.ID) != 1 {
		t.Fatalf("initial score = %v, %d rows", lead.Score, e.scoreRows(lead.ID))
	}
	path := "/api/v1/leads/" + lead.ID + "/activities"
	now := e.clock.Now()
	// A burst while no worker runs: 3 inbound calls and 2 outbound emails.
	for i := range 5 {
		body := map[string]any{"type": "call", "direction": "in", "occurred_at": now.Add(-time.Duration(i) * time.Hour)}
		if i >= 3 {
			body = map[string]any{"type": "email", "direction": "out", "occurred_at": now.Add(-time.Duration(i) * time.Hour)}
		}
		expect(t, e.call(http.MethodPost, path, agent, body), http.StatusCreated, "activity")
	}
	if n := e.rescoreJobs(lead.ID, "available"); n != 1 {
		t.Fatalf("%d rescore jobs waiting after a burst of 5 activities, want 1", n)
	}
	if got := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+lead.ID, agent, nil)); *got.Score != 41 || e.scoredEvents(lead.ID) != 0 {
		t.Fatalf("scored before the job ran: %d", *got.Score)
	}

	e.runQueue()
	e.eventually("the rescore job completes", func() bool { return e.rescoreJobs(lead.ID, "completed") == 1 })
	// recency 25, frequency 5/10 of 20 → 10, source 14, budget 15, stage 12,
	// responsiveness 3/5 of 10 → 6.
	const want = 25 + 10 + 14 + 15 + 12 + 6
	got := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+lead.ID, agent, nil))
	if got.Score == nil || *got.Score != want {
		t.Fatalf("score after the job = %v, want %d", got.Score, want)
	}
	if n := e.scoreRows(lead.ID); n != 2 {
		t.Fatalf("%d score rows, want 2", n)
	}
	if n := e.scoredEvents(lead.ID); n != 1 {
		t.Fatalf("%d lead.scored events, want 1", n)
	}
	points := scalar[string](e, `SELECT string_agg(f->>'name' || '=' || (f->>'points'), ',' ORDER BY ord)
FROM crm.lead_scores s, jsonb_array_elements(s.factors) WITH ORDINALITY AS x(f, ord)
WHERE s.lead_id = $1 AND s.score = $2`, lead.ID, want)
	if points != "recency=25,frequency=10,source_quality=14,budget_fit=15,stage=12,responsiveness=6" {
		t.Fatalf("factors = %s", points)
	}
	eventScore := scalar[int64](e, `SELECT (payload::jsonb->'data'->>'score')::bigint FROM crm.outbox
WHERE payload::jsonb->>'type' = 'reos.crm.lead.scored' AND msg_key = $1`, lead.ID)
	if eventScore != want {
		t.Fatalf("lead.scored carries %d, want %d", eventScore, want)
	}

	// Replaying the completed job (jobs API) does not score again.
	jobID := scalar[int64](e, `SELECT id FROM crm.river_job WHERE kind = 'crm.lead_rescore' AND args->>'lead_id' = $1`, lead.ID)
	r := e.call(http.MethodPost, "/api/v1/jobs/crm/"+strconv.FormatInt(jobID, 10)+"/replay", admin, nil)
	expect(t, r, http.StatusCreated, "replay")
	e.eventually("the replay completes", func() bool { return e.rescoreJobs(lead.ID, "completed") == 2 })
	if e.scoreRows(lead.ID) != 2 || e.scoredEvents(lead.ID) != 1 {
		t.Fatalf("replay scored again: %d rows, %d events", e.scoreRows(lead.ID), e.scoredEvents(lead.ID))
	}
	// A retried job (the same job run again) does not either.
	expect(t, e.call(http.MethodPost, "/api/v1/jobs/crm/"+strconv.FormatInt(jobID, 10)+"/retry", admin, nil), http.StatusOK, "retry")
	e.eventually("the retry completes", func() bool {
		return scalar[int64](e, `SELECT count(*) FROM crm.river_job WHERE id = $1 AND state = 'completed' AND attempt = 2`, jobID) == 1
	})
	if e.scoreRows(lead.ID) != 2 || e.scoredEvents(lead.ID) != 1 {
		t.Fatalf("retry scored again: %d rows, %d events", e.scoreRows(lead.ID), e.scoredEvents(lead.ID))
	}

	// An activity older than the 30-day window changes no factor: the job
	// runs, nothing is recorded.
	expect(t, e.call(http.MethodPost, path, agent, map[string]any{"type": "meeting", "occurred_at": now.Add(-40 * 24 * time.Hour)}), http.StatusCreated, "old activity")
	e.eventually("the third job completes", func() bool { return e.rescoreJobs(lead.ID, "completed") == 3 })
	if e.scoreRows(lead.ID) != 2 || e.scoredEvents(lead.ID) != 1 {
		t.Fatalf("an unchanged score was recorded: %d rows, %d events", e.scoreRows(lead.ID), e.scoredEvents(lead.ID))
	}

	// One more inbound call moves frequency (12) and responsiveness (7).
	expect(t, e.call(http.MethodPost, path, agent, map[string]any{"type": "sms", "direction": "in", "occurred_at": now}), http.StatusCreated, "new activity")
	e.eventually("rescored again", func() bool { return e.scoredEvents(lead.ID) == 2 })
	if got := decode[leadJSON](t, e.call(http.MethodGet, "/api/v1/leads/"+lead.ID, agent, nil)); *got.Score != want+2+1 || e.scoreRows(lead.ID) != 3 {
		t.Fatalf("after the 7th activity: score %d, %d rows", *got.Score, e.scoreRows(lead.ID))
	}
	// Every job of the lead finished; none is left waiting or failing.
	if n := scalar[int64](e, `SELECT count(*) FROM crm.river_job WHERE kind = 'crm.lead_rescore' AND state <> 'completed'`); n != 0 {
		t.Fatalf("%d rescore jobs not completed", n)
	}
}

// TestRescoreJobsAreScopedToTheirOrg: the jobs API shows an org its own
// rescore jobs only, and another org cannot replay them.
func TestRescoreJobsAreScopedToTheirOrg(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	lead := e.createLead(agent, map[string]any{"email": "scoped@example.com"})
	expect(t, e.call(http.MethodPost, "/api/v1/leads/"+lead.ID+"/activities", agent, map[string]any{"type": "note"}), http.StatusCreated, "activity")
	jobID := strconv.FormatInt(scalar[int64](e, `SELECT id FROM crm.river_job WHERE kind = 'crm.lead_rescore'`), 10)
	owner := e.user(agent.OrgID, permsAdmin)
	intruder := e.user(newOrg(), permsAdmin)
	expect(t, e.call(http.MethodGet, "/api/v1/jobs/crm/"+jobID, owner, nil), http.StatusOK, "owner reads its job")
	expect(t, e.call(http.MethodGet, "/api/v1/jobs/crm/"+jobID, intruder, nil), http.StatusNotFound, "another org reads the job")
	expect(t, e.call(http.MethodPost, "/api/v1/jobs/crm/"+jobID+"/cancel", intruder, nil), http.StatusNotFound, "another org cancels the job")
	if l := decode[listJSON[struct{ ID int64 }]](t, e.call(http.MethodGet, "/api/v1/jobs/crm", intruder, nil)); len(l.Items) != 0 {
		t.Fatalf("another org lists %d jobs", len(l.Items))
	}
}
