package tests

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestListingsAndSnapshots(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("10 Willow Way", "Raleigh", 400_000_00, nil))
	p2 := e.create(admin, house("11 Willow Way", "Raleigh", 500_000_00, nil))

	r := e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{
		"property_id": p.ID, "list_price_cents": 399_000_00, "listing_contract_date": "2026-01-10", "expiration_date": "2026-07-10",
	})
	expect(t, r, http.StatusCreated, "create listing")
	l := decode[listingJSON](t, r)
	if l.Version != 1 || l.StandardStatus != "Active" || l.AgentUserID == nil || *l.AgentUserID != admin.UserID {
		t.Fatalf("created %+v", l)
	}
	e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p2.ID, "list_price_cents": 1})

	// Each change is a new version and a snapshot; a no-op is neither.
	expect(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"list_price_cents": 389_000_00}), http.StatusOK, "price")
	expect(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"standard_status": "Pending", "remarks": "offer in"}), http.StatusOK, "status")
	r = e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"standard_status": "Pending"})
	expect(t, r, http.StatusOK, "no-op")
	if v := decode[listingJSON](t, r).Version; v != 3 {
		t.Fatalf("version after no-op = %d, want 3", v)
	}

	type snap struct {
		Version int             `json:"version"`
		ActorID *string         `json:"actor_id"`
		Listing json.RawMessage `json:"listing"`
	}
	r = e.call(http.MethodGet, "/api/v1/listings/"+l.ID+"/snapshots?limit=2", admin.Token, nil)
	expect(t, r, http.StatusOK, "snapshots")
	page := decode[listJSON[snap]](t, r)
	if len(page.Items) != 2 || page.Items[0].Version != 3 || page.Items[1].Version != 2 || page.NextCursor == nil {
		t.Fatalf("snapshots page 1 %+v", page)
	}
	last := decode[listJSON[snap]](t, e.call(http.MethodGet, "/api/v1/listings/"+l.ID+"/snapshots?cursor="+*page.NextCursor, admin.Token, nil))
	if len(last.Items) != 1 || last.Items[0].Version != 1 || last.NextCursor != nil {
		t.Fatalf("snapshots page 2 %+v", last)
	}
	var v1, v3 struct {
		ListPriceCents      int64   `json:"list_price_cents"`
		StandardStatus      string  `json:"standard_status"`
		ListingContractDate string  `json:"listing_contract_date"`
		Remarks             *string `json:"remarks"`
		Version             int     `json:"version"`
	}
	_ = json.Unmarshal(last.Items[0].Listing, &v1)
	_ = json.Unmarshal(page.Items[0].Listing, &v3)
	if v1.ListPriceCents != 399_000_00 || v1.StandardStatus != "Active" || v1.ListingContractDate != "2026-01-10" || v1.Remarks != nil {
		t.Fatalf("snapshot v1 %+v", v1)
	}
	if v3.ListPriceCents != 389_000_00 || v3.StandardStatus != "Pending" || v3.Remarks == nil || v3.Version != 3 {
		t.Fatalf("snapshot v3 %+v", v3)
	}

	got := decode[listingJSON](t, e.call(http.MethodGet, "/api/v1/listings/"+l.ID, admin.Token, nil))
	if got.ListPriceCents != 389_000_00 || got.StandardStatus != "Pending" {
		t.Fatalf("get %+v", got)
	}
	list := decode[listJSON[listingJSON]](t, e.call(http.MethodGet, "/api/v1/listings?property_id="+p.ID, admin.Token, nil))
	if len(list.Items) != 1 || list.Items[0].ID != l.ID {
		t.Fatalf("by property %+v", list.Items)
	}
	if n := len(decode[listJSON[listingJSON]](t, e.call(http.MethodGet, "/api/v1/listings?status=Pending", admin.Token, nil)).Items); n != 1 {
		t.Fatalf("by status: %d", n)
	}
	if n := len(decode[listJSON[listingJSON]](t, e.call(http.MethodGet, "/api/v1/listings?sort=-list_price&limit=1", admin.Token, nil)).Items); n != 1 {
		t.Fatalf("sorted: %d", n)
	}

	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"bad status", http.MethodPut, "/api/v1/listings/" + l.ID, map[string]any{"standard_status": "Sold"}, 422, "standard_status"},
		{"negative price", http.MethodPut, "/api/v1/listings/" + l.ID, map[string]any{"list_price_cents": -5}, 422, "list_price_cents"},
		{"bad date", http.MethodPut, "/api/v1/listings/" + l.ID, map[string]any{"expiration_date": "2026-13-01"}, 422, "expiration_date"},
		{"expires before contract", http.MethodPut, "/api/v1/listings/" + l.ID, map[string]any{"expiration_date": "2025-01-01"}, 422, "expiration_date"},
		{"property_id is not editable", http.MethodPut, "/api/v1/listings/" + l.ID, map[string]any{"property_id": p2.ID}, 422, "property_id"},
		{"agent not a uuid", http.MethodPut, "/api/v1/listings/" + l.ID, map[string]any{"agent_user_id": "bob"}, 422, "agent_user_id"},
		{"missing price", http.MethodPost, "/api/v1/listings", map[string]any{"property_id": p.ID}, 422, "list_price_cents"},
		{"bad property id", http.MethodPost, "/api/v1/listings", map[string]any{"property_id": "x", "list_price_cents": 1}, 422, "property_id"},
		{"unknown property", http.MethodPost, "/api/v1/listings", map[string]any{"property_id": newOrg(), "list_price_cents": 1}, 422, "property_id"},
		{"unknown field", http.MethodPost, "/api/v1/listings", map[string]any{"property_id": p.ID, "list_price_cents": 1, "version": 7}, 422, "version"},
		{"bad filter", http.MethodGet, "/api/v1/listings?status=Sold", nil, 422, "status"},
		{"bad property filter", http.MethodGet, "/api/v1/listings?property_id=x", nil, 422, "property_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectField(t, e.call(c.method, c.path, admin.Token, c.body), c.status, c.field, c.name)
		})
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.listing_snapshots WHERE listing_id = $1`, l.ID); n != 3 {
		t.Fatalf("%d snapshots after invalid updates, want 3", n)
	}
}
