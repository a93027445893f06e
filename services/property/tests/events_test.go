package tests

import (
	"encoding/json"
	"net/http"
	"testing"
)

type outboxEvent struct {
	Topic, Key string
	Type       string
	Subject    string
	OrgID      string
	Data       map[string]any
}

// outbox returns the outbox rows in insertion order.
func (e *env) outbox() []outboxEvent {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), `SELECT topic, msg_key, payload::text FROM property.outbox ORDER BY id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxEvent
	for rows.Next() {
		var ev outboxEvent
		var payload string
		if err := rows.Scan(&ev.Topic, &ev.Key, &payload); err != nil {
			e.t.Fatal(err)
		}
		var ce struct {
			Type    string         `json:"type"`
			Subject string         `json:"subject"`
			OrgID   string         `json:"orgid"`
			Source  string         `json:"source"`
			Data    map[string]any `json:"data"`
		}
		if err := json.Unmarshal([]byte(payload), &ce); err != nil {
			e.t.Fatal(err)
		}
		if ce.Source != "reos.property" {
			e.t.Fatalf("source %q", ce.Source)
		}
		ev.Type, ev.Subject, ev.OrgID, ev.Data = ce.Type, ce.Subject, ce.OrgID, ce.Data
		out = append(out, ev)
	}
	return out
}

func types(evs []outboxEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

func TestEventsThroughOutbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")

	p := e.create(admin, house("1 Event St", "X", 100, map[string]any{"listing_key": "EV-1"}))
	evs := e.outbox()
	if len(evs) != 1 {
		t.Fatalf("create: %d events %v, want exactly 1", len(evs), types(evs))
	}
	if ev := evs[0]; ev.Type != "reos.property.property.created" || ev.Topic != "reos.property.events" || ev.Key != p.ID ||
		ev.OrgID != admin.OrgID || ev.Data["property_id"] != p.ID || ev.Data["actor_id"] != admin.UserID {
		t.Fatalf("created event %+v", ev)
	}

	// Failed creates emit nothing: invalid input, and a duplicate
	// listing_key that fails inside the transaction.
	expect(t, e.call(http.MethodPost, "/api/v1/properties", admin.Token, house("2 Event St", "X", -1, nil)), http.StatusUnprocessableEntity, "invalid")
	expect(t, e.call(http.MethodPost, "/api/v1/properties", admin.Token, house("2 Event St", "X", 1, map[string]any{"listing_key": "EV-1"})), http.StatusConflict, "duplicate")
	if n := len(e.outbox()); n != 1 {
		t.Fatalf("failed creates left %d events", n)
	}

	// Price change on the property: updated + price_changed (source property).
	before := len(e.outbox())
	expect(t, e.call(http.MethodPut, "/api/v1/properties/"+p.ID, admin.Token, map[string]any{"list_price_cents": 200}), http.StatusOK, "price")
	evs = e.outbox()[before:]
	if got := types(evs); len(got) != 2 || got[0] != "reos.property.property.updated" || got[1] != "reos.property.listing.price_changed" {
		t.Fatalf("property price change events %v", got)
	}
	if d := evs[1].Data; d["source"] != "property" || d["old_price_cents"] != float64(100) || d["new_price_cents"] != float64(200) || evs[1].Key != p.ID {
		t.Fatalf("price_changed %+v", evs[1])
	}
	// A non-price change: updated only; a no-op: nothing.
	before = len(e.outbox())
	expect(t, e.call(http.MethodPut, "/api/v1/properties/"+p.ID, admin.Token, map[string]any{"city": "Y"}), http.StatusOK, "city")
	expect(t, e.call(http.MethodPut, "/api/v1/properties/"+p.ID, admin.Token, map[string]any{"city": "Y"}), http.StatusOK, "no-op")
	if got := types(e.outbox()[before:]); len(got) != 1 || got[0] != "reos.property.property.updated" {
		t.Fatalf("city change events %v", got)
	}

	// Listing: created; status + price change → updated, status_changed, price_changed.
	before = len(e.outbox())
	r := e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p.ID, "list_price_cents": 500})
	expect(t, r, http.StatusCreated, "listing")
	l := decode[listingJSON](t, r)
	expect(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"list_price_cents": 450, "standard_status": "Pending"}), http.StatusOK, "listing update")
	evs = e.outbox()[before:]
	want := []string{"reos.property.listing.created", "reos.property.listing.updated", "reos.property.listing.status_changed", "reos.property.listing.price_changed"}
	if got := types(evs); len(got) != len(want) {
		t.Fatalf("listing events %v, want %v", got, want)
	}
	for i, w := range want {
		if evs[i].Type != w || evs[i].Key != l.ID {
			t.Fatalf("listing event %d = %+v, want %s keyed %s", i, evs[i], w, l.ID)
		}
	}
	if d := evs[2].Data; d["old_status"] != "Active" || d["new_status"] != "Pending" {
		t.Fatalf("status_changed %+v", d)
	}
	if d := evs[3].Data; d["source"] != "listing" || d["old_price_cents"] != float64(500) || d["new_price_cents"] != float64(450) {
		t.Fatalf("listing price_changed %+v", d)
	}

	// Archive: archived, once.
	before = len(e.outbox())
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+p.ID, admin.Token, nil), http.StatusNoContent, "archive")
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+p.ID, admin.Token, nil), http.StatusNoContent, "archive again")
	if got := types(e.outbox()[before:]); len(got) != 1 || got[0] != "reos.property.property.archived" {
		t.Fatalf("archive events %v", got)
	}
}
