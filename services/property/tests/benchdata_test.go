package tests

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"reos.dev/services/property/internal/adapters/market"
	"reos.dev/services/property/internal/adapters/postgres"
)

// TestBenchDataLoad: the benchmark's loader stores generated rows in the
// state the service's own writes leave: a loaded property reads back as
// generated, is found by search, and its search row equals the one the API
// writes for the same fields in another organisation.
func TestBenchDataLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	loaded, viaAPI := e.token(newOrg(), "*"), e.token(newOrg(), "*")
	pool := e.db.Pool(t, "property_app")
	props := slices.Collect(market.NewPropertySet(7, loaded.OrgID).Properties(0, 300))
	loadedIDs := make([]string, len(props))
	for i, p := range props {
		loadedIDs[i] = p.ID
	}
	if err := postgres.BulkInsertProperties(t.Context(), pool, loaded.OrgID, props); err != nil {
		t.Fatal(err)
	}
	if n, err := postgres.CountProperties(t.Context(), pool, loaded.OrgID, loadedIDs); err != nil || n != len(props) {
		t.Fatalf("count = %d, %v", n, err)
	}
	// Under another organisation's id none is there (row-level security).
	if n, err := postgres.CountProperties(t.Context(), pool, viaAPI.OrgID, loadedIDs); err != nil || n != 0 {
		t.Fatalf("another org sees %d loaded rows, %v", n, err)
	}

	p := props[17]
	r := e.call(http.MethodGet, "/api/v1/properties/"+p.ID, loaded.Token, nil)
	expect(t, r, http.StatusOK, "get loaded")
	got := decode[propertyJSON](t, r)
	if got.UnparsedAddress != p.UnparsedAddress || got.ListPriceCents != p.ListPriceCents || got.StandardStatus != p.StandardStatus {
		t.Fatalf("read back %+v, generated %+v", got, p)
	}
	r = e.call(http.MethodGet, "/api/v1/properties/search?include_archived=true&q="+url.QueryEscape(p.UnparsedAddress), loaded.Token, nil)
	expect(t, r, http.StatusOK, "search loaded")
	if hits := decode[listJSON[propertyJSON]](t, r).Items; len(hits) == 0 || hits[0].ID != p.ID || hits[0].Score != 5 {
		t.Fatalf("search for %q: %v", p.UnparsedAddress, hits)
	}

	twin := e.create(viaAPI, map[string]any{"unparsed_address": p.UnparsedAddress, "city": p.City,
		"postal_code": p.PostalCode, "list_price_cents": p.ListPriceCents, "property_type": p.PropertyType,
		"standard_status": p.StandardStatus, "latitude": p.Latitude, "longitude": p.Longitude,
		"bedrooms_total": p.BedroomsTotal, "bathrooms_total_integer": p.BathroomsTotalInteger,
		"public_remarks": p.PublicRemarks}).ID
	const sideRow = `SELECT concat_ws('|', standard_status, property_type, city_key, postal_code, list_price_cents,
		bedrooms_total, bathrooms_total_integer, latitude, longitude, archived, unparsed_address, address_vector,
		document_vector) FROM property.property_search WHERE property_id = $1`
	if a, b := scalar[string](e, sideRow, p.ID), scalar[string](e, sideRow, twin); a != b {
		t.Fatalf("search rows differ:\nloaded          %s\nthrough the API %s", a, b)
	}
	const words = `SELECT count(*) FROM property.property_search_words WHERE org_id = $1 AND address`
	if scalar[int](e, words, loaded.OrgID) < 20 {
		t.Fatal("the loaded addresses' words are not recorded")
	}
}
