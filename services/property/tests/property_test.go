package tests

import (
	"net/http"
	"strconv"
	"testing"

	"reos.dev/pkg/jobs"
)

func TestPropertyCRUD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")

	p := e.create(admin, house("123 Maple Street", "Springfield", 450_000_00, map[string]any{
		"listing_key": "MLS-1", "bedrooms_total": 3, "bathrooms_total_integer": 2, "living_area": 1800,
		"lot_size_acres": "0.25", "year_built": 1995, "postal_code": "12345", "latitude": 40.1, "longitude": -75.2,
	}))
	if p.OrgID != admin.OrgID || p.ListPriceCents != 450_000_00 || p.LotSizeAcres == nil || *p.LotSizeAcres != "0.25" || p.Country != "US" {
		t.Fatalf("created %+v", p)
	}

	got := decode[propertyJSON](t, e.call(http.MethodGet, "/api/v1/properties/"+p.ID, admin.Token, nil))
	if got.ID != p.ID || got.CreatedAt != p.CreatedAt || *got.LotSizeAcres != "0.25" {
		t.Fatalf("get %+v, want %+v", got, p)
	}

	// PUT merges: the omitted fields keep their values; null clears.
	r := e.call(http.MethodPut, "/api/v1/properties/"+p.ID, admin.Token, map[string]any{"list_price_cents": 425_000_00, "year_built": nil})
	expect(t, r, http.StatusOK, "update")
	up := decode[propertyJSON](t, r)
	if up.ListPriceCents != 425_000_00 || up.YearBuilt != nil || up.BedroomsTotal == nil || *up.BedroomsTotal != 3 || up.City != "Springfield" {
		t.Fatalf("updated %+v", up)
	}
	expectField(t, e.call(http.MethodPut, "/api/v1/properties/"+p.ID, admin.Token, map[string]any{"city": nil}),
		http.StatusUnprocessableEntity, "city", "null on a required field")

	// listing_key is unique per org.
	expectField(t, e.call(http.MethodPost, "/api/v1/properties", admin.Token, house("1 Elm Court", "Springfield", 1, map[string]any{"listing_key": "MLS-1"})),
		http.StatusConflict, "listing_key", "duplicate listing_key")
	// ... but another org may use the same key.
	e.create(e.token(newOrg(), "*"), house("1 Elm Court", "Springfield", 1, map[string]any{"listing_key": "MLS-1"}))

	// DELETE archives: archived_at set, status unchanged, hidden from lists.
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+p.ID, admin.Token, nil), http.StatusNoContent, "archive")
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+p.ID, admin.Token, nil), http.StatusNoContent, "archive twice")
	arch := decode[propertyJSON](t, e.call(http.MethodGet, "/api/v1/properties/"+p.ID, admin.Token, nil))
	if arch.ArchivedAt == nil || arch.StandardStatus != "Active" {
		t.Fatalf("archived %+v", arch)
	}
	if l := decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties", admin.Token, nil)); len(l.Items) != 0 {
		t.Fatalf("archived property listed: %+v", l.Items)
	}
	if l := decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties?include_archived=true", admin.Token, nil)); len(l.Items) != 1 {
		t.Fatalf("include_archived: %+v", l.Items)
	}

	expect(t, e.call(http.MethodGet, "/api/v1/properties/not-a-uuid", admin.Token, nil), http.StatusBadRequest, "bad id")
	expect(t, e.call(http.MethodGet, "/api/v1/properties/"+newOrg(), admin.Token, nil), http.StatusNotFound, "missing id")
	expect(t, e.call(http.MethodGet, "/api/v1/properties", "", nil), http.StatusUnauthorized, "no token")
}

func TestPropertyValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"bad status", house("1 A St", "X", 1, map[string]any{"standard_status": "Sold"}), "standard_status"},
		{"status wrong case", house("1 A St", "X", 1, map[string]any{"standard_status": "active"}), "standard_status"},
		{"bad type", house("1 A St", "X", 1, map[string]any{"property_type": "Castle"}), "property_type"},
		{"negative price", house("1 A St", "X", -1, nil), "list_price_cents"},
		{"fractional price", house("1 A St", "X", 0, map[string]any{"list_price_cents": 10.5}), "list_price_cents"},
		{"price as string", house("1 A St", "X", 0, map[string]any{"list_price_cents": "100"}), "list_price_cents"},
		{"latitude 91", house("1 A St", "X", 1, map[string]any{"latitude": 91, "longitude": 0}), "latitude"},
		{"longitude -181", house("1 A St", "X", 1, map[string]any{"latitude": 0, "longitude": -181}), "longitude"},
		{"latitude alone", house("1 A St", "X", 1, map[string]any{"latitude": 10}), "longitude"},
		{"lot size float", house("1 A St", "X", 1, map[string]any{"lot_size_acres": 0.25}), "lot_size_acres"},
		{"lot size bad", house("1 A St", "X", 1, map[string]any{"lot_size_acres": "-1"}), "lot_size_acres"},
		{"year", house("1 A St", "X", 1, map[string]any{"year_built": 3000}), "year_built"},
		{"missing type", map[string]any{"unparsed_address": "1 A St", "city": "X", "list_price_cents": 1}, "property_type"},
		{"missing price", map[string]any{"unparsed_address": "1 A St", "city": "X", "property_type": "Land"}, "list_price_cents"},
		{"missing address", map[string]any{"city": "X", "list_price_cents": 1, "property_type": "Land"}, "unparsed_address"},
		{"NUL in city", house("1 A St", "X\u0000", 1, nil), "city"},
		{"unknown org_id", house("1 A St", "X", 1, map[string]any{"org_id": newOrg()}), "org_id"},
		{"unknown id", house("1 A St", "X", 1, map[string]any{"id": newOrg()}), "id"},
		{"unknown created_at", house("1 A St", "X", 1, map[string]any{"created_at": "2020-01-01T00:00:00Z"}), "created_at"},
		{"country", house("1 A St", "X", 1, map[string]any{"country": "USA"}), "country"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectField(t, e.call(http.MethodPost, "/api/v1/properties", admin.Token, tt.body), http.StatusUnprocessableEntity, tt.field, tt.name)
		})
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.properties`); n != 0 {
		t.Fatalf("%d rows stored by invalid requests", n)
	}
	// The street parts compose the address when unparsed_address is absent.
	p := e.create(admin, map[string]any{"street_number": "12", "street_name": "Oak Avenue", "unit_number": "4B",
		"city": "X", "list_price_cents": 1, "property_type": "Land"})
	if p.UnparsedAddress != "12 Oak Avenue 4B" || p.StandardStatus != "Active" {
		t.Fatalf("composed %+v", p)
	}
}

func TestPropertyHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("5 Birch Drive", "Madison", 300_000_00, nil))
	editor := e.token(admin.OrgID, "properties:read", "properties:write")
	expect(t, e.call(http.MethodPut, "/api/v1/properties/"+p.ID, editor.Token, map[string]any{
		"list_price_cents": 310_000_00, "standard_status": "Pending", "city": "Madison",
	}), http.StatusOK, "update")

	type entry struct {
		ActorID   *string `json:"actor_id"`
		ChangedAt string  `json:"changed_at"`
		Field     string  `json:"field"`
		OldValue  any     `json:"old_value"`
		NewValue  any     `json:"new_value"`
	}
	r := e.call(http.MethodGet, "/api/v1/properties/"+p.ID+"/history?limit=2", admin.Token, nil)
	expect(t, r, http.StatusOK, "history")
	page := decode[listJSON[entry]](t, r)
	if len(page.Items) != 2 || page.NextCursor == nil {
		t.Fatalf("first page %+v", page)
	}
	// Newest first: the update's two fields (city did not change).
	got := map[string]entry{}
	for _, it := range page.Items {
		got[it.Field] = it
	}
	price, status := got["list_price_cents"], got["standard_status"]
	if price.ActorID == nil || *price.ActorID != editor.UserID || price.OldValue != float64(300_000_00) || price.NewValue != float64(310_000_00) {
		t.Fatalf("price entry %+v", price)
	}
	if status.OldValue != "Active" || status.NewValue != "Pending" || status.ChangedAt == "" {
		t.Fatalf("status entry %+v", status)
	}
	// The rest is the creation, by the admin, each field from null.
	rest := decode[listJSON[entry]](t, e.call(http.MethodGet, "/api/v1/properties/"+p.ID+"/history?limit=200&cursor="+*page.NextCursor, admin.Token, nil))
	if len(rest.Items) < 5 {
		t.Fatalf("creation entries %+v", rest.Items)
	}
	for _, it := range rest.Items {
		if it.OldValue != nil || it.ActorID == nil || *it.ActorID != admin.UserID {
			t.Fatalf("creation entry %+v", it)
		}
	}
	// A PUT that changes nothing records nothing.
	before := scalar[int](e, `SELECT count(*) FROM property.property_history`)
	expect(t, e.call(http.MethodPut, "/api/v1/properties/"+p.ID, editor.Token, map[string]any{"city": "Madison"}), http.StatusOK, "no-op")
	if after := scalar[int](e, `SELECT count(*) FROM property.property_history`); after != before {
		t.Fatalf("no-op update wrote history: %d -> %d", before, after)
	}
}

// TestOtherOrgIsNotFound: another organisation's rows are never listed,
// searched or referenced from a body (the paths are TestRoutes').
func TestOtherOrgIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.token(newOrg(), "*")
	p := e.create(owner, house("77 Cedar Lane", "Denver", 1, map[string]any{"living_area": 1200}))
	expect(t, e.call(http.MethodPost, "/api/v1/listings", owner.Token, map[string]any{"property_id": p.ID, "list_price_cents": 5}),
		http.StatusCreated, "owner lists")
	v := e.requestValuation(owner, p.ID, nil)
	expect(t, e.call(http.MethodGet, jobs.APIPath("property")+"/"+strconv.FormatInt(v.JobID, 10), owner.Token, nil), http.StatusOK, "owner reads its job")
	expect(t, e.importCSV(owner, []byte("listing_key,list_price_cents,property_type,unparsed_address,city\nK-1,1,Land,1 A St,X\n"), ""),
		http.StatusCreated, "owner imports")

	for _, other := range []caller{e.token(newOrg(), "*"), e.token(newOrg(), viewerPerms...)} {
		for path, what := range map[string]string{
			"/api/v1/properties":                "property is listed",
			"/api/v1/listings":                  "listing is listed",
			"/api/v1/properties/search?q=cedar": "property is found by search",
			"/api/v1/properties/bulk-import":    "import is listed",
			jobs.APIPath("property"):            "jobs are listed",
		} {
			r := e.call(http.MethodGet, path, other.Token, nil)
			expect(t, r, http.StatusOK, path)
			if n := len(decode[listJSON[map[string]any]](t, r).Items); n != 0 {
				t.Errorf("another org's %s: %d items", what, n)
			}
		}
	}

	// An id in a body is not a path: another org's property there is a 422
	// naming the field, like an id that names nothing.
	writer := e.token(newOrg(), "*")
	expectField(t, e.call(http.MethodPost, "/api/v1/listings", writer.Token, map[string]any{"property_id": p.ID, "list_price_cents": 5}),
		http.StatusUnprocessableEntity, "property_id", "listing of another org's property")
	if n := scalar[int](e, `SELECT count(*) FROM property.listings`); n != 1 {
		t.Fatalf("%d listings, want the owner's 1", n)
	}
}
