package tests

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/server"
)

// outreachEvent builds an event as the outreach service publishes it
// (events-contract: reos.outreach.<aggregate>.<verb>, orgid, data).
func outreachEvent(t *testing.T, typ, org string, data map[string]any) events.Event {
	t.Helper()
	ev, err := events.New("reos.outreach", typ, "attempt/"+uuid.NewString(), org, data)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// message is the data of a reos.outreach.message.* event.
func message(lead, contact *string, channel, status string, extra map[string]any) map[string]any {
	d := map[string]any{"attempt_id": uuid.NewString(), "campaign_id": uuid.NewString(), "step": 1, "lead_id": lead,
		"contact_id": contact, "channel": channel, "status": status, "reason": nil, "bounce": nil, "subject": nil,
		"occurred_at": time.Now().UTC()}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

type outreachItem struct {
	Type, Summary, Channel string
	Reason, Subject        *string
	CampaignID             *string `json:"campaign_id"`
}

// outreachOn returns the outreach entries of the lead's timeline as u
// sees it, newest first.
func (e *env) outreachOn(u user, leadID string) []outreachItem {
	e.t.Helper()
	r := e.call(http.MethodGet, "/api/v1/leads/"+leadID+"/timeline?limit=200", u, nil)
	expect(e.t, r, http.StatusOK, "timeline")
	var out []outreachItem
	for _, it := range decode[listJSON[timelineJSON]](e.t, r).Items {
		if it.Kind != "outreach" {
			continue
		}
		var o outreachItem
		if err := json.Unmarshal(it.Data, &o); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

func summaries(items []outreachItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Summary
	}
	return out
}

// TestOutreachEventHandler: the handler, run as the consumer runs it (one
// transaction as crm_app with app.org_id from the event), records every
// shown type naming a lead with its one-line summary, once per event id;
// a contact-only event shows on each lead of the contact; campaign events,
// unknown types, and events naming nobody crm knows (another
// organisation's lead among them) leave nothing; malformed ones are
// ErrBadOutreachEvent.
func TestOutreachEventHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	agent := e.user(newOrg(), permsAgent)
	lead := e.createLead(agent, map[string]any{"email": "o@example.com"})
	second := e.createLead(agent, map[string]any{"contact_id": lead.Contact.ID})
	stranger := e.user(newOrg(), permsAgent)
	foreign := e.createLead(stranger, map[string]any{"email": "f@example.com"})
	pool := e.db.Pool(t, "crm_app")
	handle := pgstore.OutreachEventHandler()
	apply := func(ev events.Event) error {
		run := func(tx pgx.Tx) error { return handle(t.Context(), tx, ev) }
		if _, err := uuid.Parse(ev.OrgID); err != nil {
			return postgres.InTx(t.Context(), pool, run)
		}
		return postgres.InOrgTx(t.Context(), pool, ev.OrgID, run)
	}
	org, l, c := agent.OrgID, &lead.ID, &lead.Contact.ID
	at := func(minutes int) string {
		return e.clock.Now().Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339Nano)
	}
	steps := []struct {
		typ  string
		data map[string]any
		want string // the summary, "" when nothing is shown
	}{
		{"reos.outreach.message.queued", message(l, c, "email", "queued", map[string]any{"subject": "Spring open house", "occurred_at": at(1)}), "Email queued: Spring open house"},
		{"reos.outreach.message.sent", message(l, c, "email", "sent", map[string]any{"subject": "Spring\r\nopen\x00house", "occurred_at": at(2)}), "Email sent: Spring open house"},
		{"reos.outreach.message.bounced", message(l, c, "email", "bounced", map[string]any{"bounce": "hard", "reason": "mailbox unknown", "occurred_at": at(3)}), "Email bounced (hard): mailbox unknown"},
		{"reos.outreach.message.complained", message(l, nil, "email", "complained", map[string]any{"occurred_at": at(4)}), "Email marked as spam"},
		{"reos.outreach.message.blocked", message(l, c, "sms", "blocked", map[string]any{"reason": "do_not_call", "occurred_at": at(5)}), "SMS blocked: do_not_call"},
		{"reos.outreach.message.deferred", message(l, c, "sms", "deferred", map[string]any{"reason": "quiet_hours", "occurred_at": at(6)}), "SMS deferred: quiet_hours"},
		{"reos.outreach.consent.withdrawn", map[string]any{"contact_id": *c, "lead_id": nil, "channel": "sms", "source": "sms_stop", "occurred_at": at(7)}, "SMS consent withdrawn: STOP reply"},
		{"reos.outreach.contact.unsubscribed", map[string]any{"contact_id": *c, "lead_id": nil, "channel": "email", "source": "one_click", "occurred_at": at(8)}, "Unsubscribed from email: one-click unsubscribe"},
		{"reos.outreach.message.replied", message(l, c, "email", "replied", map[string]any{"subject": strings.Repeat("é", 400), "occurred_at": at(9)}),
			"Email replied: " + strings.Repeat("é", 200-len("Email replied: ")-1) + "…"},
		// Not shown.
		{"reos.outreach.campaign.launched", map[string]any{"campaign_id": uuid.NewString(), "name": "Spring", "status": "running", "reason": nil}, ""},
		{"reos.outreach.template.created", map[string]any{"lead_id": *l}, ""},
		{"reos.outreach.message.teleported", message(l, c, "email", "teleported", nil), ""},
		{"reos.outreach.message.sent", message(nil, nil, "email", "sent", nil), ""},
		{"reos.outreach.message.sent", message(str(uuid.NewString()), str(uuid.NewString()), "email", "sent", nil), ""},
		{"reos.outreach.message.sent", message(&foreign.ID, &foreign.Contact.ID, "email", "sent", nil), ""},
	}
	var want []string
	for i, s := range steps {
		ev := outreachEvent(t, s.typ, org, s.data)
		if err := apply(ev); err != nil {
			t.Fatalf("step %d %s: %v", i, s.typ, err)
		}
		if err := apply(ev); err != nil { // delivered twice
			t.Fatalf("step %d %s again: %v", i, s.typ, err)
		}
		if s.want != "" {
			want = append([]string{s.want}, want...)
		}
		if got := summaries(e.outreachOn(agent, lead.ID)); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("step %d %s: timeline outreach\n%q\nwant\n%q", i, s.typ, got, want)
		}
	}
	// The contact's events show on its other lead too, the lead's own not.
	if got := summaries(e.outreachOn(agent, second.ID)); strings.Join(got, "|") != "Unsubscribed from email: one-click unsubscribe|SMS consent withdrawn: STOP reply" {
		t.Fatalf("the contact's other lead shows %q", got)
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.outreach_events WHERE org_id = $1`, stranger.OrgID); n != 0 {
		t.Fatalf("%d entries in the other organisation from an event of this one", n)
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.outreach_events WHERE org_id = $1`, org); n != int64(len(want)) {
		t.Fatalf("%d entries recorded, want %d (one per shown event)", n, len(want))
	}
	if got := e.outreachOn(stranger, foreign.ID); len(got) != 0 {
		t.Fatalf("another organisation's lead shows %v", got)
	}
	// The facts beside the summary.
	items := e.outreachOn(agent, lead.ID)
	if blocked := items[len(items)-5]; blocked.Type != "reos.outreach.message.blocked" || blocked.Channel != "sms" ||
		blocked.Reason == nil || *blocked.Reason != "do_not_call" || blocked.CampaignID == nil {
		t.Fatalf("blocked entry %+v", blocked)
	}

	for name, ev := range map[string]events.Event{
		"no org":               outreachEvent(t, "reos.outreach.message.sent", "", message(l, c, "email", "sent", nil)),
		"lead id not a uuid":   outreachEvent(t, "reos.outreach.message.sent", org, message(str("lead-1"), c, "email", "sent", nil)),
		"unknown channel":      outreachEvent(t, "reos.outreach.message.sent", org, message(l, c, "fax", "sent", nil)),
		"campaign not a uuid":  outreachEvent(t, "reos.outreach.message.sent", org, message(l, c, "email", "sent", map[string]any{"campaign_id": "c1"})),
		"occurred_at too late": outreachEvent(t, "reos.outreach.message.sent", org, message(l, c, "email", "sent", map[string]any{"occurred_at": "10000-01-01T00:00:00Z"})),
	} {
		if err := apply(ev); !errors.Is(err, app.ErrBadOutreachEvent) {
			t.Errorf("%s: %v, want ErrBadOutreachEvent", name, err)
		}
	}
}

// TestOutreachConsumerPutsEventsOnTheTimeline: the consumer the binary
// runs, against the real broker and the real topic reos.outreach.events
// (shared, so the test's organisation is new and the group its own): the
// events the test publishes, each delivered twice, appear on the lead's
// timeline once each, merged newest first with the lead's own entries in
// the timeline's pages; an agent limited to its own leads sees them on its
// lead and gets 404 for another's, as for any timeline.
func TestOutreachConsumerPutsEventsOnTheTimeline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	brokers := testkit.Brokers(t)
	consumer, err := server.NewOutreachConsumer(server.ConsumerOptions{
		Pool: e.db.Pool(t, "crm_app"), Brokers: brokers, Logger: logging.Discard(),
		GroupID: testkit.UniqueName(t, "crm-outreach-timeline"), MaxWait: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.RunInBackground(t, "consumer", consumer.Run)

	org := newOrg()
	admin := e.withRoles(org, []string{"admin"}, permsAdmin)
	agent := e.agent(org)
	lead := e.createLead(admin, map[string]any{"email": "timeline@example.com", "assignee_id": agent.ID})
	other := e.createLead(admin, map[string]any{"email": "else@example.com"})
	expect(t, e.call(http.MethodPost, "/api/v1/leads/"+lead.ID+"/notes", admin, map[string]any{"body": "called"}), http.StatusCreated, "note")
	expect(t, e.call(http.MethodPut, "/api/v1/crm/settings", admin, map[string]any{"agents_see_only_assigned": true}), http.StatusOK, "setting")

	base := e.clock.Now()
	sent := outreachEvent(t, "reos.outreach.message.sent", org, message(&lead.ID, &lead.Contact.ID, "email", "sent",
		map[string]any{"subject": "Spring open house", "occurred_at": base.Add(time.Minute)}))
	opened := outreachEvent(t, "reos.outreach.message.opened", org, message(&lead.ID, &lead.Contact.ID, "email", "opened",
		map[string]any{"subject": "Spring open house", "occurred_at": base.Add(2 * time.Minute)}))
	stop := outreachEvent(t, "reos.outreach.contact.unsubscribed", org, map[string]any{"contact_id": lead.Contact.ID, "lead_id": nil,
		"channel": "sms", "source": "sms_stop", "occurred_at": base.Add(3 * time.Minute)})
	elsewhere := outreachEvent(t, "reos.outreach.message.sent", org, message(&other.ID, &other.Contact.ID, "sms", "sent",
		map[string]any{"occurred_at": base.Add(4 * time.Minute)}))
	topic := events.Topic("outreach")
	for _, ev := range []events.Event{sent, opened, stop, elsewhere, sent, stop} {
		publishOn(t, brokers, topic, ev.Subject, ev)
	}

	want := "Unsubscribed from SMS: STOP reply|Email opened: Spring open house|Email sent: Spring open house"
	var got []string
	testkit.Eventually(t, 90*time.Second, func() bool {
		got = summaries(e.outreachOn(agent, lead.ID))
		return strings.Join(got, "|") == want && len(e.outreachOn(admin, other.ID)) == 1
	}, func() string {
		return fmt.Sprintf("timeline outreach %q, want %q (consumer stats %+v)", got, want, consumer.Stats())
	})
	// Every entry once, even the events delivered twice, whatever page
	// size the timeline is read with; the lead's own entries in place.
	full := decode[listJSON[timelineJSON]](t, e.call(http.MethodGet, "/api/v1/leads/"+lead.ID+"/timeline?limit=200", agent, nil)).Items
	var kinds []string
	for _, it := range full {
		kinds = append(kinds, it.Kind)
	}
	if strings.Join(kinds, ",") != "outreach,outreach,outreach,note,created,assigned" && strings.Join(kinds, ",") != "outreach,outreach,outreach,note,assigned,created" {
		t.Fatalf("timeline kinds %v", kinds)
	}
	var paged []string
	for cursor := ""; ; {
		path := "/api/v1/leads/" + lead.ID + "/timeline?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		p := decode[listJSON[timelineJSON]](t, e.call(http.MethodGet, path, agent, nil))
		for _, it := range p.Items {
			paged = append(paged, it.ID)
		}
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if len(paged) != len(full) {
		t.Fatalf("pages of 2 hold %d items, the full timeline %d", len(paged), len(full))
	}
	for i := range full {
		if paged[i] != full[i].ID {
			t.Fatalf("page item %d is %s, want %s", i, paged[i], full[i].ID)
		}
	}
	// The agent sees outreach on its own lead only.
	expect(t, e.call(http.MethodGet, "/api/v1/leads/"+other.ID+"/timeline", agent, nil), http.StatusNotFound, "another's lead's timeline")
	if n := scalar[int64](e, `SELECT count(*) FROM crm.outreach_events WHERE org_id = $1`, org); n != 4 {
		t.Fatalf("%d entries recorded, want 4 (one per event)", n)
	}
}
