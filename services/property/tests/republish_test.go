package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/events"
	"reos.dev/services/property"
	pgstore "reos.dev/services/property/internal/adapters/postgres"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/server"
)

// propertySnapshot is one property snapshot event as it sits in the outbox.
type propertySnapshot struct {
	OutboxID int64
	Key      string
	OrgID    string
	Data     struct {
		PropertyID     string `json:"property_id"`
		OrgID          string `json:"org_id"`
		StandardStatus string `json:"standard_status"`
		ListPriceCents int64  `json:"list_price_cents"`
		City           string `json:"city"`
		Archived       bool   `json:"archived"`
	}
}

func (e *env) propertySnapshots() []propertySnapshot {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), `SELECT id, topic, msg_key, payload::text FROM property.outbox
		WHERE payload->>'type' = $1 ORDER BY id`, app.EventPropertySnapshot)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []propertySnapshot
	for rows.Next() {
		var s propertySnapshot
		var topic, payload string
		if err := rows.Scan(&s.OutboxID, &topic, &s.Key, &payload); err != nil {
			e.t.Fatal(err)
		}
		var ev struct {
			OrgID string          `json:"orgid"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			e.t.Fatal(err)
		}
		if topic != events.Topic("property") {
			e.t.Errorf("snapshot on topic %s", topic)
		}
		s.OrgID = ev.OrgID
		if err := json.Unmarshal(ev.Data, &s.Data); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// TestRepublishSnapshots: `property republish --org A` (the command's
// wiring, batches of 2) writes exactly one snapshot per property of A,
// archived ones included and flagged, keyed by the property id with A as
// orgid and the property's current state; nothing of B or C. Without
// --org every organisation that has properties is covered, found a page
// at a time through property_org_ids_after as the service role.
func TestRepublishSnapshots(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.token(newOrg(), "properties:read", "properties:write")
	want := map[string]string{}
	for i, city := range []string{"Austin", "Boston", "Chicago", "Denver", "Eugene"} {
		p := e.create(a, house("1 Main St", city, int64(100000+i), nil))
		want[p.ID] = city + " Active false"
	}
	var archived string
	for id := range want {
		archived = id
		break
	}
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+archived, a.Token, nil), http.StatusNoContent, "archive")
	want[archived] = strings.Replace(want[archived], "false", "true", 1)
	pending := e.create(a, house("2 Main St", "Fresno", 5, nil)).ID
	expect(t, e.call(http.MethodPut, "/api/v1/properties/"+pending, a.Token, map[string]any{"standard_status": "Pending"}), http.StatusOK, "update")
	want[pending] = "Fresno Pending false"
	b, c := e.token(newOrg(), "properties:write"), e.token(newOrg(), "properties:write")
	e.create(b, house("3 Elm St", "Gary", 1, nil))
	e.create(b, house("4 Elm St", "Gary", 1, nil))
	e.create(c, house("5 Oak St", "Hilo", 1, nil))

	plan, err := server.Republisher(e.db.Pool(t, "property_app"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep, err := plan.Run(t.Context(), events.RepublishOptions{Orgs: []string{a.OrgID}, BatchSize: 2, Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.String(); got != "1 organisations: 6 properties" {
		t.Fatalf("report %q", got)
	}
	for _, n := range []string{"2", "4", "6"} {
		if !strings.Contains(out.String(), "org "+a.OrgID+" properties: "+n+"\n") {
			t.Errorf("progress lacks batch total %s:\n%s", n, out.String())
		}
	}
	got := map[string]string{}
	for _, s := range e.propertySnapshots() {
		if s.OrgID != a.OrgID || s.Data.OrgID != a.OrgID || s.Key != s.Data.PropertyID {
			t.Fatalf("snapshot %+v: wrong organisation or key", s)
		}
		if _, dup := got[s.Key]; dup {
			t.Fatalf("property %s snapshotted twice", s.Key)
		}
		got[s.Key] = fmt.Sprintf("%s %s %v", s.Data.City, s.Data.StandardStatus, s.Data.Archived)
	}
	if len(got) != len(want) {
		t.Fatalf("%d snapshots, want %d: %v", len(got), len(want), got)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("property %s snapshot %q, want %q", id, got[id], w)
		}
	}

	// The organisations, one per page: each once, in id order.
	store, err := pgstore.NewSnapshotStore(e.db.Pool(t, "property_app"), property.Schema)
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

	before := len(e.propertySnapshots())
	rep, err = plan.Run(t.Context(), events.RepublishOptions{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.String(); got != "3 organisations: 9 properties" || len(e.propertySnapshots())-before != 9 {
		t.Fatalf("full run: report %q, %d new snapshots", got, len(e.propertySnapshots())-before)
	}
}

// TestRepublishOrdersWithUpdates: an update that starts while a snapshot
// batch holds its properties waits for the batch to commit, so its event
// follows the snapshot in the outbox (the relay publishes in that order);
// a new property meanwhile does not wait.
func TestRepublishOrdersWithUpdates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.token(newOrg(), "properties:read", "properties:write")
	p := e.create(a, house("9 Pine St", "Ithaca", 1, nil))
	store, err := pgstore.NewSnapshotStore(e.db.Pool(t, "property_app"), property.Schema)
	if err != nil {
		t.Fatal(err)
	}
	updated := make(chan response, 1)
	err = store.InOrg(t.Context(), a.OrgID, func(tx app.SnapshotTx) error {
		ps, err := tx.Properties(t.Context(), "", 10)
		if err != nil {
			return err
		}
		created := make(chan response, 1)
		go func() {
			created <- e.call(http.MethodPost, "/api/v1/properties", a.Token, house("10 Pine St", "Ithaca", 1, nil))
		}()
		select {
		case r := <-created:
			expect(t, r, http.StatusCreated, "create while a batch is open")
		case <-time.After(15 * time.Second):
			t.Error("a new property waited for the snapshot batch")
		}
		go func() {
			updated <- e.call(http.MethodPut, "/api/v1/properties/"+p.ID, a.Token, map[string]any{"standard_status": "Closed"})
		}()
		select {
		case r := <-updated:
			t.Errorf("the update did not wait for the snapshot: %s", r)
		case <-time.After(300 * time.Millisecond):
		}
		items := make([]app.EventData, len(ps))
		for i, s := range ps {
			items[i] = app.EventData{Key: s.ID, Data: map[string]any{"property_id": s.ID, "standard_status": s.StandardStatus}}
		}
		return tx.PublishAll(t.Context(), app.EventPropertySnapshot, a.OrgID, items)
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-updated:
		expect(t, r, http.StatusOK, "update after the snapshot")
	case <-time.After(15 * time.Second):
		t.Fatal("the update never finished")
	}
	snapID := scalar[int64](e, `SELECT id FROM property.outbox WHERE msg_key = $1 AND payload->>'type' = $2`, p.ID, app.EventPropertySnapshot)
	updID := scalar[int64](e, `SELECT id FROM property.outbox WHERE msg_key = $1 AND payload->>'type' = $2`, p.ID, app.EventPropertyUpdated)
	if snapID >= updID {
		t.Fatalf("snapshot at outbox id %d, update at %d: the update must follow", snapID, updID)
	}
	if s := e.propertySnapshots(); len(s) != 1 || s[0].Data.StandardStatus != "Active" {
		t.Fatalf("snapshots %+v, want one with the status before the update", s)
	}
}
