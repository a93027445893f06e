package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/events"
	"reos.dev/pkg/testkit"
	"reos.dev/services/crm"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
	"reos.dev/services/crm/internal/server"
)

// republished is one event of a republish run as the outbox holds it.
type republished struct {
	OutboxID    int64
	Type, Key   string
	OrgID       string
	Subject     string
	Contact     contactEventJSON
	Lead        leadStateJSON
	LeadArchive *string
}

// outboxSince returns the outbox's events after outbox id `after`.
func (e *env) outboxSince(after int64) []republished {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), `SELECT id, topic, msg_key, payload::text FROM crm.outbox WHERE id > $1 ORDER BY id`, after)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []republished
	for rows.Next() {
		var r republished
		var topic, payload string
		if err := rows.Scan(&r.OutboxID, &topic, &r.Key, &payload); err != nil {
			e.t.Fatal(err)
		}
		var ev struct {
			Type, Subject string
			OrgID         string          `json:"orgid"`
			Data          json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			e.t.Fatal(err)
		}
		if topic != events.Topic("crm") {
			e.t.Errorf("event on topic %s", topic)
		}
		r.Type, r.OrgID, r.Subject = ev.Type, ev.OrgID, ev.Subject
		var data struct {
			ArchivedAt *string `json:"archived_at"`
		}
		for _, v := range []any{&r.Contact, &r.Lead, &data} {
			if err := json.Unmarshal(ev.Data, v); err != nil {
				e.t.Fatal(err)
			}
		}
		r.LeadArchive = data.ArchivedAt
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) lastOutboxID() int64 {
	e.t.Helper()
	return scalar[int64](e, `SELECT coalesce(max(id), 0) FROM crm.outbox`)
}

// TestRepublishSnapshots: `crm republish --org A` (batches of 2) writes
// exactly one contact.updated per contact of A (a contact without a lead
// too) and one lead.updated per lead (an archived one too, saying so),
// keyed by the id with A as orgid and the current state as the live
// events carry it; nothing of B or C. Without --org every organisation
// that has contacts is covered, found a page at a time through
// crm_org_ids_after as the service role.
func TestRepublishSnapshots(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.user(newOrg(), permsAgent)
	wantContacts, wantLeads := map[string]string{}, map[string]string{}
	for i, tz := range []string{"Europe/Berlin", "America/Chicago", "Asia/Tokyo"} {
		l := e.createLead(a, map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "source": "referral", "tags": []string{"t" + fmt.Sprint(i)}})
		expect(t, e.call(http.MethodPut, "/api/v1/contacts/"+l.Contact.ID, a, map[string]any{"time_zone": tz}), http.StatusOK, "zone")
		wantContacts[l.Contact.ID] = fmt.Sprintf("p%d@example.com %s", i, tz)
		wantLeads[l.ID] = fmt.Sprintf("referral t%d active", i)
	}
	archived := e.createLead(a, map[string]any{"email": "gone@example.com"})
	expect(t, e.call(http.MethodDelete, "/api/v1/leads/"+archived.ID, a, nil), http.StatusNoContent, "archive")
	wantContacts[archived.Contact.ID] = "gone@example.com <nil>"
	wantLeads[archived.ID] = "<nil>  archived"
	r := e.call(http.MethodPost, "/api/v1/contacts", a, map[string]any{"phone": "+14155550199"})
	expect(t, r, http.StatusCreated, "a contact without a lead")
	wantContacts[decode[contactJSON](t, r).ID] = "<nil> <nil>"
	b, c := e.user(newOrg(), permsAgent), e.user(newOrg(), permsAgent)
	e.createLead(b, map[string]any{"email": "b1@example.com"})
	e.createLead(b, map[string]any{"email": "b2@example.com"})
	e.createLead(c, map[string]any{"email": "c1@example.com"})

	plan, err := server.Republisher(e.db.Pool(t, "crm_app"))
	if err != nil {
		t.Fatal(err)
	}
	start := e.lastOutboxID()
	var out strings.Builder
	rep, err := plan.Run(t.Context(), events.RepublishOptions{Orgs: []string{a.OrgID}, BatchSize: 2, Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep.String(), fmt.Sprintf("1 organisations: %d contacts, %d leads", len(wantContacts), len(wantLeads)); got != want {
		t.Fatalf("report %q, want %q", got, want)
	}
	for _, line := range []string{"contacts: 2\n", "contacts: 4\n", "contacts: 5\n", "leads: 2\n", "leads: 4\n"} {
		if !strings.Contains(out.String(), "org "+a.OrgID+" "+line) {
			t.Errorf("progress lacks %q:\n%s", line, out.String())
		}
	}
	gotContacts, gotLeads := map[string]string{}, map[string]string{}
	for _, ev := range e.outboxSince(start) {
		if ev.OrgID != a.OrgID {
			t.Fatalf("%s of organisation %s in a run for %s", ev.Type, ev.OrgID, a.OrgID)
		}
		switch ev.Type {
		case app.EventContactUpdated:
			if ev.Key != ev.Contact.ContactID || ev.Subject != "contact/"+ev.Key || gotContacts[ev.Key] != "" {
				t.Fatalf("contact snapshot %+v: wrong key or twice", ev)
			}
			gotContacts[ev.Key] = fmt.Sprintf("%s %s", deref(ev.Contact.Email), deref(ev.Contact.TimeZone))
		case app.EventLeadUpdated:
			if ev.Key != ev.Lead.LeadID || ev.Subject != "lead/"+ev.Key || gotLeads[ev.Key] != "" {
				t.Fatalf("lead snapshot %+v: wrong key or twice", ev)
			}
			state := "active"
			if ev.LeadArchive != nil {
				state = "archived"
			}
			gotLeads[ev.Key] = fmt.Sprintf("%s %s %s", deref(ev.Lead.SourceKey), strings.Join(ev.Lead.Tags, ","), state)
		default:
			t.Fatalf("republish wrote %s", ev.Type)
		}
	}
	if !mapsEqual(gotContacts, wantContacts) || !mapsEqual(gotLeads, wantLeads) {
		t.Fatalf("contacts %v\nwant %v\nleads %v\nwant %v", gotContacts, wantContacts, gotLeads, wantLeads)
	}

	// The organisations, one per page: each once, in id order.
	store, err := pgstore.NewSnapshotStore(e.db.Pool(t, "crm_app"), crm.Schema)
	if err != nil {
		t.Fatal(err)
	}
	var orgs []string
	for after := ""; ; {
		page, err := store.OrgIDs(t.Context(), after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		orgs = append(orgs, page...)
		after = page[0]
	}
	wantOrgs := []string{a.OrgID, b.OrgID, c.OrgID}
	slices.Sort(wantOrgs)
	if !slices.Equal(orgs, wantOrgs) {
		t.Fatalf("organisations %v, want %v", orgs, wantOrgs)
	}

	start = e.lastOutboxID()
	rep, err = plan.Run(t.Context(), events.RepublishOptions{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	all := len(wantContacts) + len(wantLeads) + 3*2
	if got := rep.String(); got != "3 organisations: 8 contacts, 7 leads" || len(e.outboxSince(start)) != all {
		t.Fatalf("full run: report %q, %d new events, want %d", got, len(e.outboxSince(start)), all)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRepublishOrdersWithChanges: while a snapshot batch holds its rows,
// a contact's update and a lead's update wait for it to commit, so their
// events follow the snapshots in the outbox (the relay publishes in that
// order) and a consumer keeping the newest never ends on the snapshot's
// older state; a new lead on the same person meanwhile does not wait.
func TestRepublishOrdersWithChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.user(newOrg(), permsAgent)
	l := e.createLead(a, map[string]any{"email": "order@example.com"})
	store, err := pgstore.NewSnapshotStore(e.db.Pool(t, "crm_app"), crm.Schema)
	if err != nil {
		t.Fatal(err)
	}
	// waiting counts the service role's statements blocked on a lock.
	waiting := func() int {
		return int(scalar[int64](e, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND state = 'active'`))
	}
	contactDone, leadDone := make(chan response, 1), make(chan response, 1)
	start := e.lastOutboxID()
	err = store.InOrg(t.Context(), a.OrgID, func(tx app.SnapshotTx) error {
		cs, err := tx.Contacts(t.Context(), "", 10)
		if err != nil {
			return err
		}
		ls, err := tx.Leads(t.Context(), "", 10)
		if err != nil {
			return err
		}
		created := make(chan response, 1)
		go func() {
			created <- e.call(http.MethodPost, "/api/v1/leads", a, map[string]any{"contact_id": l.Contact.ID})
		}()
		select {
		case r := <-created:
			expect(t, r, http.StatusCreated, "a new lead on the person while a batch is open")
		case <-time.After(30 * time.Second):
			t.Error("a new lead waited for the snapshot batch")
		}
		go func() {
			contactDone <- e.call(http.MethodPut, "/api/v1/contacts/"+l.Contact.ID, a, map[string]any{"time_zone": "Europe/Rome"})
		}()
		go func() {
			leadDone <- e.call(http.MethodPut, "/api/v1/leads/"+l.ID, a, map[string]any{"tags": []string{"late"}})
		}()
		// Both changes are blocked on the batch's row locks (and not
		// finished: their answers have not come).
		testkit.Eventually(t, 30*time.Second, func() bool { return waiting() == 2 },
			func() string { return fmt.Sprintf("%d statements wait for a lock, want the 2 changes", waiting()) })
		select {
		case r := <-contactDone:
			t.Errorf("the contact update did not wait for the snapshot: %s", r)
		case r := <-leadDone:
			t.Errorf("the lead update did not wait for the snapshot: %s", r)
		default:
		}
		evs := contactSnapshots(cs)
		for _, row := range ls {
			evs = append(evs, app.Event{Type: app.EventLeadUpdated, Aggregate: "lead", ID: row.Lead.ID, Data: map[string]any{"lead_id": row.Lead.ID}})
		}
		return tx.Publish(context.WithoutCancel(t.Context()), a.OrgID, evs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, ch := range map[string]chan response{"contact": contactDone, "lead": leadDone} {
		select {
		case r := <-ch:
			expect(t, r, http.StatusOK, name+" update after the snapshot")
		case <-time.After(30 * time.Second):
			t.Fatalf("the %s update never finished", name)
		}
	}
	// Per key: the snapshot first, the change after it.
	order := map[string][]string{}
	for _, ev := range e.outboxSince(start) {
		if ev.Key == l.ID || ev.Key == l.Contact.ID {
			order[ev.Key] = append(order[ev.Key], ev.Type)
		}
	}
	if got := order[l.Contact.ID]; !slices.Equal(got, []string{app.EventContactUpdated, app.EventContactUpdated}) {
		t.Fatalf("contact's events %v, want the snapshot then the update", got)
	}
	if got := order[l.ID]; !slices.Equal(got, []string{app.EventLeadUpdated, app.EventLeadUpdated}) {
		t.Fatalf("lead's events %v, want the snapshot then the update", got)
	}
	if ev := lastData[contactEventJSON](e, app.EventContactUpdated, l.Contact.ID); !eqStr(ev.TimeZone, str("Europe/Rome")) {
		t.Fatalf("the last contact event says %+v, want the update's zone", ev)
	}
}

// contactSnapshots is the snapshot of cs as the republish run writes it.
func contactSnapshots(cs []domain.Contact) []app.Event {
	out := make([]app.Event, len(cs))
	for i, c := range cs {
		out[i] = app.Event{Type: app.EventContactUpdated, Aggregate: "contact", ID: c.ID, Data: map[string]any{"contact_id": c.ID}}
	}
	return out
}
