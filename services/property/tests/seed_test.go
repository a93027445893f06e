package tests

import (
	"net/http"
	"slices"
	"testing"

	"reos.dev/services/property/internal/app"
)

// TestSeedIsDeterministicAndIdempotent: the demo org gets exactly
// app.SeedCount properties, the same ones on every run, and a second run
// adds nothing.
func TestSeedIsDeterministicAndIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	rep, err := e.srv.Service.SeedDemo(t.Context(), org)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != app.SeedCount || rep.Skipped != 0 {
		t.Fatalf("first seed %+v", rep)
	}
	rep, err = e.srv.Service.SeedDemo(t.Context(), org)
	if err != nil || rep.Created != 0 || rep.Skipped != app.SeedCount {
		t.Fatalf("second seed %+v %v", rep, err)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.properties WHERE org_id = $1`, org); n != app.SeedCount {
		t.Fatalf("%d properties", n)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.outbox`); n != app.SeedCount {
		t.Fatalf("%d created events, want one per property (%d)", n, app.SeedCount)
	}

	// Another org seeded separately gets identical data (deterministic).
	other := newOrg()
	if _, err := e.srv.Service.SeedDemo(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	fingerprint := func(org string) []string {
		rows, err := e.admin.Query(t.Context(), `SELECT listing_key || '|' || unparsed_address || '|' || list_price_cents || '|' || city
			|| '|' || standard_status || '|' || coalesce(lot_size_acres::text, '') FROM property.properties WHERE org_id = $1 ORDER BY listing_key`, org)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	if a, b := fingerprint(org), fingerprint(other); len(a) != app.SeedCount || !slices.Equal(a, b) {
		t.Fatalf("seed differs between orgs:\n%v\n%v", a, b)
	}

	// The demo data is visible through the API to the org's users.
	viewer := e.token(org, "properties:read")
	r := e.call(http.MethodGet, "/api/v1/properties?limit=200", viewer.Token, nil)
	expect(t, r, http.StatusOK, "list seeded")
	if n := len(decode[listJSON[propertyJSON]](t, r).Items); n != app.SeedCount {
		t.Fatalf("viewer sees %d", n)
	}
	if _, err := e.srv.Service.SeedDemo(t.Context(), "not-an-org"); err == nil {
		t.Fatal("seed accepted a bad org id")
	}
}
