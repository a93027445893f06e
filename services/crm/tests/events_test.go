package tests

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestEachChangeEmitsItsEvents: every state change leaves exactly the
// expected events in the outbox, in the same transaction, keyed by the
// aggregate on topic reos.crm.events; a refused change leaves none.
func TestEachChangeEmitsItsEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	agent := e.user(org, permsAgent)
	prop := e.knownProperty(org, false)
	var lead leadJSON
	var deal dealJSON
	var contact contactJSON
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"create lead", func() { lead = e.createLead(agent, map[string]any{"email": "ev@example.com", "source": "website"}) },
			[]string{"reos.crm.contact.created", "reos.crm.lead.created"}},
		{"a lead form that fills the person in", func() {
			e.createLead(agent, map[string]any{"email": "ev@example.com", "first_name": "Eve"})
		}, []string{"reos.crm.contact.updated", "reos.crm.lead.created"}},
		{"a lead form that adds nothing to the person", func() {
			e.createLead(agent, map[string]any{"email": "ev@example.com", "first_name": "Eve"})
		}, []string{"reos.crm.lead.created"}},
		{"create contact", func() {
			r := e.call("POST", "/api/v1/contacts", agent, map[string]any{"email": "person@example.com", "time_zone": "Europe/Berlin"})
			expect(t, r, 201, "contact")
			contact = decode[contactJSON](t, r)
		}, []string{"reos.crm.contact.created"}},
		{"update contact", func() {
			expect(t, e.call("PUT", "/api/v1/contacts/"+contact.ID, agent, map[string]any{"postal_code": "10115"}), 200, "put")
		}, []string{"reos.crm.contact.updated"}},
		{"update contact that changes nothing", func() {
			expect(t, e.call("PUT", "/api/v1/contacts/"+contact.ID, agent, map[string]any{"postal_code": "10115", "time_zone": "Europe/Berlin"}), 200, "put")
		}, nil},
		{"refused contact update", func() {
			expect(t, e.call("PUT", "/api/v1/contacts/"+contact.ID, agent, map[string]any{"time_zone": "Mars/Olympus"}), 422, "put")
		}, nil},
		{"update without score change", func() {
			expect(t, e.call("PUT", "/api/v1/leads/"+lead.ID, agent, map[string]any{"property_ids": []string{prop}}), 200, "put")
		}, []string{"reos.crm.lead.updated"}},
		{"update that changes nothing", func() {
			expect(t, e.call("PUT", "/api/v1/leads/"+lead.ID, agent, map[string]any{"property_ids": []string{prop}}), 200, "put")
		}, nil},
		{"status change rescores", func() {
			expect(t, e.call("PUT", "/api/v1/leads/"+lead.ID, agent, map[string]any{"status": "qualified"}), 200, "put")
		}, []string{"reos.crm.lead.scored", "reos.crm.lead.updated"}},
		{"assign", func() {
			expect(t, e.call("POST", "/api/v1/leads/"+lead.ID+"/assign", agent, map[string]any{"user_id": agent.ID}), 200, "assign")
		}, []string{"reos.crm.lead.assigned"}},
		{"assign to the same user", func() {
			expect(t, e.call("POST", "/api/v1/leads/"+lead.ID+"/assign", agent, map[string]any{"user_id": agent.ID}), 200, "assign")
		}, nil},
		{"score", func() { expect(t, e.call("POST", "/api/v1/leads/"+lead.ID+"/score", agent, nil), 200, "score") },
			[]string{"reos.crm.lead.scored"}},
		// The rescoring follows in a background job (rescoring_test.go).
		{"activity", func() {
			expect(t, e.call("POST", "/api/v1/leads/"+lead.ID+"/activities", agent, map[string]any{"type": "email", "direction": "in"}), 201, "act")
		}, []string{"reos.crm.activity.logged"}},
		{"invalid activity", func() {
			expect(t, e.call("POST", "/api/v1/leads/"+lead.ID+"/activities", agent, map[string]any{"type": "fax"}), 422, "act")
		}, nil},
		{"note", func() {
			expect(t, e.call("POST", "/api/v1/leads/"+lead.ID+"/notes", agent, map[string]any{"body": "n"}), 201, "note")
		},
			[]string{"reos.crm.note.added"}},
		{"create deal", func() { deal = e.createDeal(agent, lead.ID, 1000) }, []string{"reos.crm.deal.created"}},
		{"update deal", func() {
			expect(t, e.call("PUT", "/api/v1/deals/"+deal.ID, agent, map[string]any{"value_cents": 2000}), 200, "put")
		},
			[]string{"reos.crm.deal.updated"}},
		{"update deal that changes nothing", func() {
			expect(t, e.call("PUT", "/api/v1/deals/"+deal.ID, agent, map[string]any{"value_cents": 2000}), 200, "put")
		}, nil},
		{"move deal", func() {
			expect(t, e.call("PATCH", "/api/v1/deals/"+deal.ID+"/stage", agent, map[string]any{"stage": "under_contract"}), 200, "move")
		}, []string{"reos.crm.deal.stage_changed"}},
		{"illegal move", func() {
			expect(t, e.call("PATCH", "/api/v1/deals/"+deal.ID+"/stage", agent, map[string]any{"stage": "new"}), 422, "move")
		}, nil},
		{"win deal", func() {
			expect(t, e.call("PATCH", "/api/v1/deals/"+deal.ID+"/stage", agent, map[string]any{"stage": "closed_won"}), 200, "won")
		}, []string{"reos.crm.deal.stage_changed", "reos.crm.deal.won"}},
		{"archive", func() { expect(t, e.call("DELETE", "/api/v1/leads/"+lead.ID, agent, nil), 204, "archive") },
			[]string{"reos.crm.lead.archived"}},
		{"archive again", func() { expect(t, e.call("DELETE", "/api/v1/leads/"+lead.ID, agent, nil), 204, "archive") }, nil},
	}
	seen := 0
	for _, s := range steps {
		s.do()
		all := e.outboxTypes()
		got := all[seen:]
		seen = len(all)
		g, w := slices.Clone(got), slices.Clone(s.want)
		slices.Sort(g)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Fatalf("%s: events %v, want %v", s.name, got, s.want)
		}
	}
	// A lost deal emits lost.
	lead2 := e.createLead(agent, map[string]any{"email": "ev2@example.com"})
	d2 := e.createDeal(agent, lead2.ID, 5)
	expect(t, e.call("PATCH", "/api/v1/deals/"+d2.ID+"/stage", agent, map[string]any{"stage": "closed_lost"}), 200, "lost")
	if all := e.outboxTypes(); all[len(all)-1] != "reos.crm.deal.lost" && all[len(all)-2] != "reos.crm.deal.lost" {
		t.Fatalf("no deal.lost: %v", all[len(all)-2:])
	}

	// Envelope: topic, key = aggregate id, org extension, subject.
	var leadIDs []string
	for _, l := range decode[listJSON[leadJSON]](t, e.call("GET", "/api/v1/leads?include_archived=true", agent, nil)).Items {
		leadIDs = append(leadIDs, l.ID)
	}
	rows, err := e.admin.Query(t.Context(), `SELECT topic, msg_key, payload::text FROM crm.outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var topic, key, payload string
		if err := rows.Scan(&topic, &key, &payload); err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Type, Source, Subject string
			OrgID                 string          `json:"orgid"`
			Data                  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			t.Fatal(err)
		}
		if topic != "reos.crm.events" || ev.OrgID != org || ev.Source != "reos.crm" {
			t.Errorf("envelope: topic %s key %s %+v", topic, key, ev)
		}
		// The subject names the aggregate the key is the id of: a deal's
		// events are the deal's, a contact's the contact's, the others
		// (activities, notes) the lead's.
		aggregate, ids := "lead", leadIDs
		switch {
		case strings.HasPrefix(ev.Type, "reos.crm.deal."):
			aggregate, ids = "deal", []string{deal.ID, d2.ID}
		case strings.HasPrefix(ev.Type, "reos.crm.contact."):
			aggregate, ids = "contact", []string{lead.Contact.ID, contact.ID, lead2.Contact.ID}
		}
		if !slices.Contains(ids, key) {
			t.Errorf("%s keyed %s, not one of the %ss %v", ev.Type, key, aggregate, ids)
		}
		if ev.Subject != aggregate+"/"+key {
			t.Errorf("%s: subject %q, want %s/%s", ev.Type, ev.Subject, aggregate, key)
		}
	}
}
