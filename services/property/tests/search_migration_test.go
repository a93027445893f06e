package tests

import (
	"io/fs"
	"net/http"
	"slices"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/property"
)

// TestSearchMigration runs migration 6 down and up again over existing
// rows: down restores migration 2's search (search_matches finds the rows),
// up rebuilds the side tables from properties (the same hits as before),
// and neither side table nor the sync function is open to the service role.
func TestSearchMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.token(newOrg(), "*"), e.token(newOrg(), "*")
	mine := []string{
		e.create(a, house("123 Maple Street", "Springfield", 300_000_00, nil)).ID,
		e.create(a, house("9 Oak Road", "Springfield", 200_000_00, map[string]any{"public_remarks": "A maple tree"})).ID,
	}
	e.create(b, house("7 Maple Street", "Shelbyville", 300_000_00, nil))
	archived := e.create(a, house("5 Maple Court", "Springfield", 100_000_00, nil)).ID
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+archived, a.Token, nil), http.StatusNoContent, "archive")

	searchIDs := func() []string {
		t.Helper()
		r := e.call(http.MethodGet, "/api/v1/properties/search?q=maple", a.Token, nil)
		expect(t, r, http.StatusOK, "search")
		got := ids(decode[listJSON[propertyJSON]](t, r).Items)
		sort.Strings(got)
		return got
	}
	want := slices.Clone(mine)
	sort.Strings(want)
	if got := searchIDs(); !slices.Equal(got, want) {
		t.Fatalf("before: %v, want %v", got, want)
	}

	run := func(name string) {
		t.Helper()
		sql, err := fs.ReadFile(property.Root.Migrations(), name)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := e.admin.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(t.Context()) }()
		if _, err := tx.Exec(t.Context(), "SET LOCAL search_path = property, public"); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(t.Context(), string(sql)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := tx.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	countIn := func(q string, args ...any) int {
		t.Helper()
		return scalar[int](e, q, args...)
	}

	run("000006_search_index.down.sql")
	var n int
	pool := e.db.Pool(t, "property_app")
	err := postgres.InOrgTx(t.Context(), pool, a.OrgID, func(tx pgx.Tx) error {
		return tx.QueryRow(t.Context(), `SELECT count(*) FROM property.search_matches(to_tsquery('simple', 'maple:*'), 'maple')`).Scan(&n)
	})
	if err != nil || n != 3 { // migration 2 knew no archiving: its matches include the archived row
		t.Fatalf("migration 2's search after down: %d, %v", n, err)
	}

	run("000006_search_index.up.sql")
	if got := searchIDs(); !slices.Equal(got, want) {
		t.Fatalf("after down and up: %v, want %v", got, want)
	}
	if c := countIn(`SELECT count(*) FROM property.property_search`); c != 4 {
		t.Fatalf("side table has %d rows, want the 4 properties", c)
	}
	if c := countIn(`SELECT count(*) FROM property.property_search_words WHERE org_id = $1 AND word = 'shelbyville'`, a.OrgID); c != 0 {
		t.Fatal("another organisation's word in this one's list")
	}
	if c := countIn(`SELECT count(*) FROM property.property_search WHERE property_id = $1 AND archived`, archived); c != 1 {
		t.Fatal("the archived property's row is not marked archived")
	}

	for _, q := range []string{
		`SELECT count(*) FROM property.property_search`,
		`SELECT count(*) FROM property.property_search_words`,
		`SELECT property.property_search_sync()`,
	} {
		if _, err := pool.Exec(t.Context(), q); err == nil {
			t.Errorf("property_app ran %q", q)
		}
	}
}
