package tests

import (
	"encoding/json"
	"net/http"
	"testing"

	"reos.dev/services/crm/internal/domain"
)

func (e *env) stages(u user) map[string]stageJSON {
	e.t.Helper()
	r := e.call("GET", "/api/v1/deal-stages", u, nil)
	expect(e.t, r, http.StatusOK, "stages")
	out := map[string]stageJSON{}
	for _, s := range decode[listJSON[stageJSON]](e.t, r).Items {
		out[s.Key] = s
	}
	return out
}

func TestDealStageMachineThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	agent, admin := e.user(org, permsAgent), e.user(org, permsAdmin)
	lead := e.createLead(agent, map[string]any{"email": "buyer@example.com"})
	st := e.stages(agent)
	if len(st) != len(domain.DefaultStages()) || st["new"].Position >= st["qualified"].Position || st["closed_won"].Kind != "won" {
		t.Fatalf("default stages = %+v", st)
	}
	// Seeding is idempotent: a second read adds nothing.
	if again := e.stages(agent); len(again) != len(domain.DefaultStages()) || again["new"].ID != st["new"].ID {
		t.Fatal("stages seeded twice")
	}

	d := e.createDeal(agent, lead.ID, 123_456_78)
	if d.StageID != st["new"].ID || d.ValueCents != 123_456_78 {
		t.Fatalf("deal = %+v", d)
	}
	move := func(u user, body map[string]any) response {
		return e.call(http.MethodPatch, "/api/v1/deals/"+d.ID+"/stage", u, body)
	}
	steps := []struct {
		name   string
		u      user
		body   map[string]any
		status int
	}{
		{"skip forward", agent, map[string]any{"stage": "showing"}, 200},
		{"back two is illegal", agent, map[string]any{"stage": "new"}, 422},
		{"back one", agent, map[string]any{"stage": "qualified"}, 200},
		{"same stage is illegal", agent, map[string]any{"stage_id": st["qualified"].ID}, 422},
		{"won before contract is illegal", agent, map[string]any{"stage": "closed_won"}, 422},
		{"to contract by id", agent, map[string]any{"stage_id": st["under_contract"].ID}, 200},
		{"won", agent, map[string]any{"stage": "closed_won"}, 200},
		{"closed is terminal", agent, map[string]any{"stage": "offer"}, 422},
		{"closed to lost is illegal even for admin", admin, map[string]any{"stage": "closed_lost"}, 422},
		{"admin reopens", admin, map[string]any{"stage": "offer"}, 200},
		{"lost from any open stage", agent, map[string]any{"stage": "closed_lost"}, 200},
	}
	want := 1 // the creation entry
	for _, s := range steps {
		r := move(s.u, s.body)
		if r.Status != s.status {
			t.Fatalf("%s: %s", s.name, r)
		}
		if s.status == 422 && !decode[problemJSON](t, r).HasField("stage") {
			t.Fatalf("%s: problem does not name stage: %s", s.name, r)
		}
		if s.status == 200 {
			want++
		}
	}
	for _, body := range []map[string]any{{}, {"stage": "nope"}, {"stage": "offer", "stage_id": st["offer"].ID}} {
		expectField(t, move(admin, body), 422, "stage", "bad stage body")
	}
	final := decode[dealJSON](t, e.call("GET", "/api/v1/deals/"+d.ID, agent, nil))
	if final.StageID != st["closed_lost"].ID || final.ClosedAt == nil {
		t.Fatalf("final = %+v", final)
	}
	// History is complete: from, to, by, at for every move, newest first.
	r := e.call("GET", "/api/v1/deals/"+d.ID+"/timeline", agent, nil)
	tl := decode[listJSON[timelineJSON]](t, r)
	if len(tl.Items) != want {
		t.Fatalf("history has %d entries, want %d: %s", len(tl.Items), want, r)
	}
	var last struct{ FromStage, ToStage string }
	var raw map[string]any
	_ = json.Unmarshal(tl.Items[0].Data, &raw)
	last.FromStage, _ = raw["from_stage"].(string)
	last.ToStage, _ = raw["to_stage"].(string)
	if last.FromStage != "offer" || last.ToStage != "closed_lost" || tl.Items[len(tl.Items)-1].Kind != "created" {
		t.Fatalf("timeline = %s", r)
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.deal_stage_history WHERE changed_by IS NULL`); n != 0 {
		t.Errorf("%d history rows without changed_by", n)
	}
}

func TestDealCRUDAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	lead := e.createLead(agent, map[string]any{"email": "b@example.com"})
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no value", map[string]any{"lead_id": lead.ID, "title": "x"}, "value_cents"},
		{"negative", map[string]any{"lead_id": lead.ID, "title": "x", "value_cents": -1}, "value_cents"},
		{"no title", map[string]any{"lead_id": lead.ID, "value_cents": 1}, "title"},
		{"bad lead", map[string]any{"lead_id": "x", "title": "x", "value_cents": 1}, "lead_id"},
		{"closed start", map[string]any{"lead_id": lead.ID, "title": "x", "value_cents": 1, "stage": "closed_won"}, "stage"},
		{"bad currency", map[string]any{"lead_id": lead.ID, "title": "x", "value_cents": 1, "currency": "usd"}, "currency"},
		{"bad date", map[string]any{"lead_id": lead.ID, "title": "x", "value_cents": 1, "expected_close_date": "soon"}, "expected_close_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectField(t, e.call("POST", "/api/v1/deals", agent, tc.body), 422, tc.field, tc.name)
		})
	}
	r := e.call("POST", "/api/v1/deals", agent, map[string]any{"lead_id": lead.ID, "title": "Condo", "value_cents": 9_007_199_254_740_993, "stage": "offer", "expected_close_date": "2026-06-30"})
	expect(t, r, 201, "create")
	d := decode[dealJSON](t, r)
	if d.ValueCents != 9_007_199_254_740_993 {
		t.Fatalf("value not exact: %d", d.ValueCents)
	}
	r = e.call("PUT", "/api/v1/deals/"+d.ID, agent, map[string]any{"value_cents": 500, "title": "Condo 2"})
	expect(t, r, 200, "update")
	if u := decode[dealJSON](t, r); u.ValueCents != 500 || u.StageID != d.StageID {
		t.Fatalf("updated = %s", r)
	}
	expectField(t, e.call("PUT", "/api/v1/deals/"+d.ID, agent, map[string]any{"stage_id": d.StageID}), 422, "stage_id", "stage via PUT")
	for _, q := range []string{"", "?sort=-value_cents", "?lead_id=" + lead.ID, "?stage_id=" + d.StageID} {
		l := decode[listJSON[dealJSON]](t, e.call("GET", "/api/v1/deals"+q, agent, nil))
		if len(l.Items) != 1 {
			t.Errorf("list%s = %+v", q, l)
		}
	}
	expectField(t, e.call("GET", "/api/v1/deals?sort=title", agent, nil), 400, "sort", "bad sort")
	// Custom stages and sources.
	expect(t, e.call("POST", "/api/v1/deal-stages", agent, map[string]any{"key": "inspection", "name": "Inspection", "position": 45, "probability": 60}), 201, "stage")
	expectField(t, e.call("POST", "/api/v1/deal-stages", agent, map[string]any{"key": "inspection2", "name": "Dup", "position": 45}), 409, "position", "dup position")
	expectField(t, e.call("POST", "/api/v1/deal-stages", agent, map[string]any{"key": "Bad Key", "name": "x", "position": 1}), 422, "key", "bad key")
	expect(t, e.call("POST", "/api/v1/lead-sources", agent, map[string]any{"key": "fair", "name": "Home fair", "weight": 80}), 201, "source")
	expectField(t, e.call("POST", "/api/v1/lead-sources", agent, map[string]any{"key": "fair", "name": "Again"}), 409, "key", "dup source")
	if l := decode[listJSON[stageJSON]](t, e.call("GET", "/api/v1/lead-sources", agent, nil)); len(l.Items) != len(domain.LeadSourceDefaults())+1 {
		t.Fatalf("sources = %d, want the defaults and fair", len(l.Items))
	}
}
