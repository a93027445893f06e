package tests

import (
	"net/http"
	"testing"

	"reos.dev/pkg/postgres"
)

// TestDatesOutsideWhatIsStored: every date property reads from a body goes
// through pkg/datetime (years 1000–9999, strict YYYY-MM-DD) before a
// field's own narrower rule (listing dates 1900–2200, as_of from 2000 to
// today); year 0, year 10000 and malformed dates are a 422 naming the
// field, on create and update, and nothing is written.
func TestDatesOutsideWhatIsStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("3 Calendar Row", "Raleigh", 300_000_00, nil))
	r := e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p.ID, "list_price_cents": 1})
	expect(t, r, http.StatusCreated, "listing")
	l := decode[listingJSON](t, r)
	bad := []string{"0000-01-01", "10000-01-01", "2026-02-30", "2026-6-30", "2026-06-30T00:00:00Z", "soon", "", " 2026-06-30"}
	for _, v := range bad {
		for _, field := range []string{"listing_contract_date", "expiration_date"} {
			expectField(t, e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p.ID, "list_price_cents": 1, field: v}),
				http.StatusUnprocessableEntity, field, "POST /listings "+field+" "+v)
			expectField(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{field: v}),
				http.StatusUnprocessableEntity, field, "PUT /listings "+field+" "+v)
		}
		expectField(t, e.call(http.MethodPost, "/api/v1/properties/"+p.ID+"/valuations", admin.Token, map[string]any{"as_of": v}),
			http.StatusUnprocessableEntity, "as_of", "as_of "+v)
	}
	// Inside pkg/datetime's range but outside the listing's own.
	expectField(t, e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"expiration_date": "1066-10-14"}),
		http.StatusUnprocessableEntity, "expiration_date", "a listing date before 1900")
	if n := scalar[int](e, `SELECT count(*) FROM property.listings`); n != 1 {
		t.Fatalf("%d listings, want 1", n)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.listing_snapshots`); n != 1 {
		t.Fatalf("%d listing snapshots, want 1", n)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.property_valuations`); n != 0 {
		t.Fatalf("%d valuations, want 0", n)
	}
	r = e.call(http.MethodPut, "/api/v1/listings/"+l.ID, admin.Token, map[string]any{"listing_contract_date": "2026-01-10", "expiration_date": "2200-12-31"})
	expect(t, r, http.StatusOK, "dates at the listing's bound")

	// A cursor is input too: one forged with a time outside the range is a
	// 400, like a malformed one.
	for _, v := range []string{"0000-01-01T00:00:00Z", "2026-01-01T0:00:00Z"} {
		c := postgres.EncodeCursor("history", v, newOrg())
		expectField(t, e.call(http.MethodGet, "/api/v1/properties/"+p.ID+"/history?cursor="+c, admin.Token, nil),
			http.StatusBadRequest, "cursor", "history cursor at "+v)
	}
}
