package tests

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

type campaignJSON struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	ScheduledAt *string `json:"scheduled_at"`
	Audience    string  `json:"audience"`
	Steps       []struct {
		Step         int    `json:"step"`
		Channel      string `json:"channel"`
		TemplateID   string `json:"template_id"`
		DelaySeconds *int   `json:"delay_seconds"`
		StopOnReply  bool   `json:"stop_on_reply"`
	} `json:"steps"`
}

// TestCampaignLifecycle: a draft with a two-step sequence; a template of
// the wrong channel or of another organisation is 422 naming the step;
// scheduling announces campaign.scheduled; DELETE cancels (kept, with its
// event) and a cancelled campaign can be neither edited nor cancelled.
func TestCampaignLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sales, other := e.user(newOrg(), permsSales), e.user(newOrg(), permsSales)
	email, sms := e.emailTemplate(sales, "Welcome"), e.smsTemplate(sales, "Nudge")
	foreign := e.emailTemplate(other, "Theirs")
	steps := func(emailID string) []map[string]any {
		return []map[string]any{{"channel": "email", "template_id": emailID, "delay_seconds": 0},
			{"channel": "sms", "template_id": sms.ID, "delay_seconds": 86400, "stop_on_reply": false}}
	}
	expectField(t, e.call(http.MethodPost, "/api/v1/campaigns", sales, map[string]any{"name": "Spring", "steps": steps(foreign.ID)}),
		http.StatusUnprocessableEntity, "steps[0].template_id", "another org's template")
	expectField(t, e.call(http.MethodPost, "/api/v1/campaigns", sales, map[string]any{"name": "Spring", "steps": steps(sms.ID)}),
		http.StatusUnprocessableEntity, "steps[0].template_id", "an sms template on an email step")
	expectField(t, e.call(http.MethodPost, "/api/v1/campaigns", sales, map[string]any{"name": "Spring",
		"steps": []map[string]any{{"channel": "email", "template_id": email.ID}}}), http.StatusUnprocessableEntity, "steps[0]", "no delay nor send_at")
	expectField(t, e.call(http.MethodPost, "/api/v1/campaigns", sales, map[string]any{"name": "Spring",
		"scheduled_at": e.clock.Now().Add(-time.Minute).Format(time.RFC3339)}), http.StatusUnprocessableEntity, "scheduled_at", "a start in the past")

	r := e.call(http.MethodPost, "/api/v1/campaigns", sales, map[string]any{"name": "Spring", "steps": steps(email.ID)})
	expect(t, r, http.StatusCreated, "create")
	c := decode[campaignJSON](t, r)
	if c.Status != "draft" || c.Audience != "none" || len(c.Steps) != 2 || c.Steps[1].Channel != "sms" || *c.Steps[1].DelaySeconds != 86400 ||
		c.Steps[1].StopOnReply || !c.Steps[0].StopOnReply {
		t.Fatalf("campaign %+v", c)
	}
	if len(e.outboxTypes()) != 0 {
		t.Fatal("a draft announced something")
	}
	expect(t, e.call(http.MethodGet, "/api/v1/campaigns/"+c.ID, other, nil), http.StatusNotFound, "another org's campaign")
	expect(t, e.call(http.MethodDelete, "/api/v1/templates/email/"+email.ID, sales, nil), http.StatusConflict, "delete a template a step uses")

	at := e.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	r = e.call(http.MethodPut, "/api/v1/campaigns/"+c.ID, sales, map[string]any{"name": "Spring", "scheduled_at": at, "steps": steps(email.ID)})
	expect(t, r, http.StatusOK, "schedule")
	if got := decode[campaignJSON](t, r); got.Status != "scheduled" {
		t.Fatalf("status %s", got.Status)
	}
	if typ, data := e.lastEvent(); typ != "reos.outreach.campaign.scheduled" || data["campaign_id"] != c.ID || data["status"] != "scheduled" {
		t.Fatalf("event %s %v", typ, data)
	}

	r = e.call(http.MethodDelete, "/api/v1/campaigns/"+c.ID, sales, nil)
	expect(t, r, http.StatusOK, "cancel")
	if got := decode[campaignJSON](t, r); got.Status != "cancelled" {
		t.Fatalf("status %s", got.Status)
	}
	if typ, _ := e.lastEvent(); typ != "reos.outreach.campaign.cancelled" {
		t.Fatalf("event %s", typ)
	}
	expect(t, e.call(http.MethodDelete, "/api/v1/campaigns/"+c.ID, sales, nil), http.StatusConflict, "cancel again")
	expect(t, e.call(http.MethodPut, "/api/v1/campaigns/"+c.ID, sales, map[string]any{"name": "Late"}), http.StatusConflict, "edit a cancelled campaign")
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/targets", sales, map[string]any{"filter": map[string]any{}}),
		http.StatusConflict, "targets of a cancelled campaign")

	// The list and the search filter by status and name.
	r = e.call(http.MethodPost, "/api/v1/search/campaigns", sales, map[string]any{"statuses": []string{"cancelled"}, "name": "spr"})
	expect(t, r, http.StatusOK, "search")
	if items := decode[listJSON[campaignJSON]](t, r).Items; len(items) != 1 || items[0].ID != c.ID {
		t.Fatalf("search %+v", items)
	}
	r = e.call(http.MethodGet, "/api/v1/campaigns?status=draft", sales, nil)
	expect(t, r, http.StatusOK, "list drafts")
	if items := decode[listJSON[campaignJSON]](t, r).Items; len(items) != 0 {
		t.Fatalf("drafts %+v", items)
	}
	expectField(t, e.call(http.MethodGet, "/api/v1/campaigns?status=nope", sales, nil), http.StatusBadRequest, "status", "unknown status")
	expectField(t, e.call(http.MethodGet, "/api/v1/campaigns?sort=-id", sales, nil), http.StatusBadRequest, "sort", "unknown sort")
}

// TestCampaignsPageByName: pages of a name-sorted list join up to the
// whole list, each campaign once, in order.
func TestCampaignsPageByName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sales := e.user(newOrg(), permsSales)
	names := []string{"Delta", "alpha", "Charlie", "bravo", "Echo"}
	for _, n := range names {
		expect(t, e.call(http.MethodPost, "/api/v1/campaigns", sales, map[string]any{"name": n}), http.StatusCreated, n)
	}
	var got []string
	path := "/api/v1/campaigns?sort=name&limit=2"
	for range len(names) {
		r := e.call(http.MethodGet, path, sales, nil)
		expect(t, r, http.StatusOK, "page")
		p := decode[listJSON[struct {
			Name string `json:"name"`
		}]](t, r)
		for _, it := range p.Items {
			got = append(got, it.Name)
		}
		if p.NextCursor == nil {
			break
		}
		path = "/api/v1/campaigns?sort=name&limit=2&cursor=" + *p.NextCursor
	}
	want := scalarStrings(e, `SELECT name FROM outreach.campaigns WHERE org_id = $1 ORDER BY name, id`, sales.OrgID)
	if len(got) != len(want) {
		t.Fatalf("pages %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("pages %v, want %v", got, want)
		}
	}
	expectField(t, e.call(http.MethodGet, "/api/v1/campaigns?sort=-name&cursor="+uuid.NewString(), sales, nil), http.StatusBadRequest, "cursor", "forged cursor")
}

// TestCampaignTargets: explicit leads are checked against the audience
// read model of the caller's organisation — an unknown lead, another
// org's and an archived one are each 422 naming its index — and a filter
// counts the active leads matching it.
func TestCampaignTargets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sales := e.user(newOrg(), permsSales)
	a, b, archived := newLead("new"), newLead("qualified"), newLead("new")
	a.Tags, b.Tags, b.Score = []string{"buyer", "vip"}, []string{"buyer"}, 90
	for _, l := range []audienceLead{a, b, archived} {
		e.seedLead(sales.OrgID, l)
	}
	e.apply(crmEvent(t, "reos.crm.lead.archived", sales.OrgID, "lead/"+archived.Lead, e.clock.Now().Add(time.Second), map[string]any{
		"lead_id": archived.Lead, "contact_id": archived.Contact, "status": "new", "tags": []string{}, "archived_at": e.clock.Now()}))
	stranger := newLead("new")
	e.seedLead(newOrg(), stranger)

	r := e.call(http.MethodPost, "/api/v1/campaigns", sales, map[string]any{"name": "Targets"})
	expect(t, r, http.StatusCreated, "campaign")
	c := decode[campaignJSON](t, r)
	path := "/api/v1/campaigns/" + c.ID + "/targets"
	for i, bad := range []string{uuid.NewString(), stranger.Lead, archived.Lead} {
		r := e.call(http.MethodPost, path, sales, map[string]any{"lead_ids": []string{a.Lead, bad}})
		expectField(t, r, http.StatusUnprocessableEntity, "lead_ids[1]", "bad lead "+string(rune('0'+i)))
	}
	expectField(t, e.call(http.MethodPost, path, sales, map[string]any{"lead_ids": []string{"x"}}), http.StatusUnprocessableEntity, "lead_ids[0]", "not a uuid")
	expectField(t, e.call(http.MethodPost, path, sales, map[string]any{}), http.StatusUnprocessableEntity, "lead_ids", "neither")
	expectField(t, e.call(http.MethodPost, path, sales, map[string]any{"filter": map[string]any{"score_min": 80, "score_max": 20}}),
		http.StatusUnprocessableEntity, "filter.score_max", "inverted range")

	r = e.call(http.MethodPost, path, sales, map[string]any{"lead_ids": []string{a.Lead, b.Lead, a.Lead}})
	expect(t, r, http.StatusOK, "explicit leads")
	if got := decode[map[string]any](t, r); got["audience"] != "leads" || got["leads"] != float64(2) {
		t.Fatalf("targets %v", got)
	}
	if ids := scalarStrings(e, `SELECT lead_id::text FROM outreach.campaign_audience_leads WHERE campaign_id = $1 ORDER BY position`, c.ID); len(ids) != 2 || ids[0] != a.Lead || ids[1] != b.Lead {
		t.Fatalf("stored leads %v", ids)
	}
	for _, tc := range []struct {
		filter map[string]any
		want   float64
	}{
		{map[string]any{}, 2},
		{map[string]any{"tags": []string{"buyer"}}, 2},
		{map[string]any{"tags": []string{"buyer", "vip"}}, 1},
		{map[string]any{"stages": []string{"qualified"}}, 1},
		{map[string]any{"score_min": 60}, 1},
		{map[string]any{"sources": []string{"referral"}}, 0},
	} {
		r := e.call(http.MethodPost, path, sales, map[string]any{"filter": tc.filter})
		expect(t, r, http.StatusOK, "filter")
		if got := decode[map[string]any](t, r); got["audience"] != "filter" || got["leads"] != tc.want {
			t.Errorf("filter %v: %v, want %v leads", tc.filter, got, tc.want)
		}
	}
	if n := scalar[int](e, `SELECT count(*) FROM outreach.campaign_audience_leads WHERE campaign_id = $1`, c.ID); n != 0 {
		t.Fatalf("a filter kept %d explicit leads", n)
	}
}

func scalarStrings(e *env, query string, args ...any) []string {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), query, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
