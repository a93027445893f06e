package tests

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/events"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
	"reos.dev/services/outreach/internal/server"
)

func (e *env) contactEmail(org, contact string) string {
	e.t.Helper()
	return scalar[string](e, `SELECT coalesce(email, '') FROM outreach.audience_contacts WHERE org_id = $1 AND contact_id = $2`, org, contact)
}

func (e *env) leadStatus(org, lead string) string {
	e.t.Helper()
	return scalar[string](e, `SELECT status || CASE WHEN archived THEN '/archived' ELSE '' END FROM outreach.audience_leads WHERE org_id = $1 AND lead_id = $2`, org, lead)
}

// TestAudienceNewerWins: an event is applied only when it is newer than
// the state held, so a replay, a late redelivery and a republished
// snapshot of older state change nothing; archiving and deletion stay.
func TestAudienceNewerWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	l := newLead("new")
	e.seedLead(org, l)
	t0 := e.clock.Now()
	contact := func(at time.Time, email string, typ string) events.Event {
		return crmEvent(t, typ, org, "contact/"+l.Contact, at, map[string]any{"contact_id": l.Contact, "first_name": "Pat", "last_name": "Lee",
			"email": email, "phone": nil, "updated_at": at})
	}
	lead := func(at time.Time, status, typ string) events.Event {
		return crmEvent(t, typ, org, "lead/"+l.Lead, at, map[string]any{"lead_id": l.Lead, "contact_id": l.Contact, "status": status, "tags": []string{}})
	}
	e.apply(contact(t0.Add(2*time.Second), "new@example.com", "reos.crm.contact.updated"))
	e.apply(contact(t0.Add(time.Second), "older@example.com", "reos.crm.contact.updated"))
	e.apply(contact(t0.Add(2*time.Second), "same-time@example.com", "reos.crm.contact.updated"))
	if got := e.contactEmail(org, l.Contact); got != "new@example.com" {
		t.Fatalf("email %q after an older and an equal event, want the newest", got)
	}
	e.apply(lead(t0.Add(3*time.Second), "qualified", "reos.crm.lead.updated"))
	e.apply(lead(t0.Add(time.Second), "contacted", "reos.crm.lead.updated"))
	if got := e.leadStatus(org, l.Lead); got != "qualified" {
		t.Fatalf("status %q", got)
	}
	e.apply(lead(t0.Add(4*time.Second), "qualified", "reos.crm.lead.archived"))
	e.apply(lead(t0.Add(5*time.Second), "nurturing", "reos.crm.lead.updated"))
	if got := e.leadStatus(org, l.Lead); got != "nurturing/archived" {
		t.Fatalf("status %q: archiving must stay", got)
	}
	e.apply(contact(t0.Add(6*time.Second), "new@example.com", "reos.crm.contact.deleted"))
	e.apply(contact(t0.Add(7*time.Second), "revived@example.com", "reos.crm.contact.updated"))
	if got := e.contactEmail(org, l.Contact); got != "new@example.com" {
		t.Fatalf("a deleted contact changed: %q", got)
	}
	// Other types and lead events from before crm sent the state are
	// ignored; a malformed id is an error the consumer retries and skips.
	e.apply(crmEvent(t, "reos.crm.deal.created", org, "deal/x", t0, map[string]any{"deal_id": uuid.NewString()}))
	e.apply(crmEvent(t, "reos.crm.lead.scored", org, "lead/"+l.Lead, t0.Add(time.Hour), map[string]any{"lead_id": l.Lead, "score": 3}))
	if got := e.leadStatus(org, l.Lead); got != "nurturing/archived" {
		t.Fatalf("status %q after an event without state", got)
	}
}

// TestCRMConsumerFeedsAudience: the consumer the binary runs, on the real
// broker (a topic and a group of the test's own: the shared
// reos.crm.events holds every earlier run's events), makes a lead published by crm a valid campaign target;
// the same event delivered twice is applied once (inbox).
func TestCRMConsumerFeedsAudience(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	brokers := testkit.Brokers(t)
	topic := testkit.UniqueName(t, events.Topic("crm"))
	consumer, err := server.NewCRMConsumer(server.ConsumerOptions{Pool: e.pool, Brokers: brokers, Logger: logging.Discard(),
		GroupID: testkit.UniqueName(t, "outreach-crm-read-model"), MaxWait: 200 * time.Millisecond, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	testkit.RunInBackground(t, "consumer", consumer.Run)
	sales := e.user(newOrg(), permsSales)
	l := newLead("new")
	at := time.Now().UTC()
	for _, ev := range []events.Event{
		crmEvent(t, "reos.crm.contact.created", sales.OrgID, "contact/"+l.Contact, at, map[string]any{"contact_id": l.Contact,
			"first_name": "Pat", "last_name": "Lee", "email": l.Email, "phone": l.Phone, "time_zone": "America/Chicago", "postal_code": "60601", "updated_at": at}),
		crmEvent(t, "reos.crm.lead.created", sales.OrgID, "lead/"+l.Lead, at, map[string]any{"lead_id": l.Lead, "contact_id": l.Contact,
			"status": "new", "source_key": "website", "tags": []string{"buyer"}, "score": 40}),
	} {
		payload, err := ev.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			testkit.Publish(t, brokers, topic, ev.Subject, payload, "ce_id", ev.ID, "ce_type", ev.Type)
		}
	}
	testkit.Eventually(t, 90*time.Second, func() bool {
		return scalar[int](e, `SELECT count(*) FROM outreach.audience_leads l JOIN outreach.audience_contacts c USING (org_id, contact_id)
WHERE l.org_id = $1 AND c.time_zone = 'America/Chicago'`, sales.OrgID) == 1
	}, func() string {
		return fmt.Sprintf("the lead never reached the audience (consumer %+v)", consumer.Stats())
	})
	testkit.Eventually(t, 30*time.Second, func() bool { return consumer.Stats().Duplicates >= 2 },
		func() string {
			return fmt.Sprintf("the redeliveries were not seen as duplicates: %+v", consumer.Stats())
		})

	r := e.call(http.MethodPost, "/api/v1/campaigns", sales, map[string]any{"name": "From crm"})
	expect(t, r, http.StatusCreated, "campaign")
	c := decode[idJSON](t, r)
	expect(t, e.call(http.MethodPost, "/api/v1/campaigns/"+c.ID+"/targets", sales, map[string]any{"lead_ids": []string{l.Lead}}), http.StatusOK, "target the lead")
}

// TestSeed: the demo templates and draft campaign, created once.
func TestSeed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	rep, err := e.srv.Service.SeedDemo(t.Context(), org)
	if err != nil || !rep.Changed || len(rep.Lines) != 3 {
		t.Fatalf("seed: %+v, %v", rep, err)
	}
	if rep, err := e.srv.Service.SeedDemo(t.Context(), org); err != nil || rep.Changed {
		t.Fatalf("second seed: %+v, %v", rep, err)
	}
	admin := e.user(org, permsAdmin)
	r := e.call(http.MethodGet, "/api/v1/campaigns", admin, nil)
	expect(t, r, http.StatusOK, "campaigns")
	if items := decode[listJSON[campaignJSON]](t, r).Items; len(items) != 1 || items[0].Status != "draft" || len(items[0].Steps) != 2 {
		t.Fatalf("seeded campaigns %+v", items)
	}
}
