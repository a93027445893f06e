package tests

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
	"reos.dev/services/property"
)

// TestServeRefusesPendingMigrations exercises the check `property serve`
// and `seed` run before opening their pool.
func TestServeRefusesPendingMigrations(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := t.Context()

	err := property.Root.Database().RequireCurrent(ctx, db.URL)
	var behind *postgres.SchemaBehindError
	if !errors.As(err, &behind) || !strings.Contains(err.Error(), "migrate up") {
		t.Fatalf("empty database: RequireCurrent = %v, want a SchemaBehindError telling to run migrate up", err)
	}
	if err := property.Root.Database().Migrate(ctx, db.URL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := property.Root.Database().Migrate(ctx, db.URL); err != nil {
		t.Fatalf("Migrate twice: %v", err)
	}
	if err := property.Root.Database().RequireCurrent(ctx, db.URL); err != nil {
		t.Fatalf("migrated: RequireCurrent = %v", err)
	}
	st, err := property.Root.Database().Status(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Current != s.Latest || s.Dirty || s.Latest == 0 {
			t.Errorf("status %+v", s)
		}
	}

	// The service role can run the check (serve connects as it), owns no
	// table (so RLS is forced on it) and every tenant table it can reach (a
	// table with an org_id column: whatever the migrations add) forces RLS.
	// pkg/jobs' job_effects carries an org but, like River's tables, has no
	// RLS by decision (docs/architecture.md, Jobs): the job machinery's.
	pool := db.Pool(t, "property_app")
	var ok bool
	if err := pool.QueryRow(ctx, `SELECT has_table_privilege('property.schema_migrations', 'SELECT')
		AND has_table_privilege('property.events_schema_migrations', 'SELECT')`).Scan(&ok); err != nil || !ok {
		t.Errorf("property_app cannot read the version tables: %v %v", ok, err)
	}
	rows, err := db.Pool(t, "").Query(ctx, `SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity,
			pg_get_userbyid(c.relowner) = 'property_app'
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'property' AND c.relkind = 'r' AND c.relname <> 'job_effects'
		AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped)
		AND has_table_privilege('property_app', c.oid, 'SELECT')`)
	if err != nil {
		t.Fatal(err)
	}
	var tenant []string
	for rows.Next() {
		var name string
		var forced, owned bool
		if err := rows.Scan(&name, &forced, &owned); err != nil {
			t.Fatal(err)
		}
		tenant = append(tenant, name)
		if !forced || owned {
			t.Errorf("tenant table %s: RLS forced %v, owned by property_app %v", name, forced, owned)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if !slices.Contains(tenant, "properties") {
		t.Errorf("tenant tables found: %v, not even properties", tenant)
	}
	// The search copy is reachable only through search_matches().
	if _, err := pool.Exec(ctx, `SELECT count(*) FROM property.property_search`); err == nil {
		t.Error("property_app can read property_search directly")
	}
	// Without an org set, the service role sees nothing.
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM property.properties`).Scan(&n); err != nil || n != 0 {
		t.Errorf("no org: count = %d, %v", n, err)
	}
}
