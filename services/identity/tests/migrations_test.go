package tests

import (
	"errors"
	"strings"
	"testing"

	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
	"reos.dev/services/identity"
)

// TestServeRefusesPendingMigrations exercises identity.Root.Database().RequireCurrent, the
// check `identity serve` (and `seed`) runs before opening its pool.
func TestServeRefusesPendingMigrations(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := t.Context()

	err := identity.Root.Database().RequireCurrent(ctx, db.URL)
	var behind *postgres.SchemaBehindError
	if !errors.As(err, &behind) || !strings.Contains(err.Error(), "migrate up") {
		t.Fatalf("empty database: RequireCurrent = %v, want a SchemaBehindError telling to run migrate up", err)
	}

	// Only identity's own migrations: the outbox's are still pending.
	src := identity.Root.Database().Sources[0]
	db.Migrate(t, identity.Schema, src.Table, src.FS)
	err = identity.Root.Database().RequireCurrent(ctx, db.URL)
	if err == nil || !strings.Contains(err.Error(), "events migrations") || strings.Contains(err.Error(), "identity migrations") {
		t.Fatalf("half-migrated: RequireCurrent = %v, want only the events source named", err)
	}

	if err := identity.Root.Database().Migrate(ctx, db.URL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := identity.Root.Database().Migrate(ctx, db.URL); err != nil {
		t.Fatalf("Migrate twice: %v", err)
	}
	if err := identity.Root.Database().RequireCurrent(ctx, db.URL); err != nil {
		t.Fatalf("migrated: RequireCurrent = %v", err)
	}
	st, err := identity.Root.Database().Status(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Current != s.Latest || s.Dirty || s.Latest == 0 {
			t.Errorf("status %+v", s)
		}
	}

	// The service role can run the check too (serve connects as it).
	var ok bool
	pool := db.Pool(t, "identity_app")
	if err := pool.QueryRow(ctx, `SELECT has_table_privilege('identity.schema_migrations', 'SELECT')
		AND has_table_privilege('identity.events_schema_migrations', 'SELECT')`).Scan(&ok); err != nil || !ok {
		t.Errorf("identity_app cannot read the version tables: %v %v", ok, err)
	}
}
