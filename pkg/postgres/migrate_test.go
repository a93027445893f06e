package postgres_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
)

// numbered returns migrations 1..n that each create table t<version>.
func numbered(n int) fstest.MapFS {
	fsys := fstest.MapFS{}
	for v := 1; v <= n; v++ {
		fsys[fmt.Sprintf("%d_t%d.up.sql", v, v)] = &fstest.MapFile{Data: fmt.Appendf(nil, "CREATE TABLE t%d (id int);\nINSERT INTO t%d VALUES (%d);", v, v, v)}
		fsys[fmt.Sprintf("%d_t%d.down.sql", v, v)] = &fstest.MapFile{Data: fmt.Appendf(nil, "DROP TABLE t%d;", v)}
	}
	return fsys
}

func status(t *testing.T, url, schema, table string, fsys fstest.MapFS) (current, latest uint, dirty bool) {
	t.Helper()
	current, latest, dirty, err := postgres.MigrationStatus(testContext(t), url, schema, table, fsys)
	if err != nil {
		t.Fatalf("MigrationStatus(%s.%s): %v", schema, table, err)
	}
	return current, latest, dirty
}

func regclassExists(t *testing.T, url, name string) bool {
	t.Helper()
	ctx := testContext(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&ok); err != nil {
		t.Fatalf("to_regclass(%s): %v", name, err)
	}
	return ok
}

func TestMigrateAppliesIntoSchemaAndIsIdempotent(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := testContext(t)
	fsys := numbered(3)

	if cur, latest, dirty := status(t, db.URL, "svc", "schema_migrations", fsys); cur != 0 || latest != 3 || dirty {
		t.Fatalf("status before = (%d, %d, %t), want (0, 3, false)", cur, latest, dirty)
	}
	if err := postgres.RequireCurrent(ctx, db.URL, "svc", "schema_migrations", fsys); err == nil {
		t.Fatal("RequireCurrent passed on an empty database")
	}
	for i := range 2 {
		if err := postgres.Migrate(ctx, db.URL, "svc", "schema_migrations", fsys); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	if cur, latest, dirty := status(t, db.URL, "svc", "schema_migrations", fsys); cur != 3 || latest != 3 || dirty {
		t.Errorf("status after = (%d, %d, %t), want (3, 3, false)", cur, latest, dirty)
	}
	if err := postgres.RequireCurrent(ctx, db.URL, "svc", "schema_migrations", fsys); err != nil {
		t.Errorf("RequireCurrent after Migrate: %v", err)
	}
	for _, name := range []string{"svc.schema_migrations", "svc.t1", "svc.t3"} {
		if !regclassExists(t, db.URL, name) {
			t.Errorf("%s missing: migrations or the version table did not land in the schema", name)
		}
	}
	for _, name := range []string{"public.schema_migrations", "public.t1"} {
		if regclassExists(t, db.URL, name) {
			t.Errorf("%s exists: something landed outside the schema", name)
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := testContext(t)
	fsys := numbered(5)

	// As two replicas starting at once would: both must succeed and each
	// migration must run exactly once (a second run would fail on CREATE TABLE).
	const runners = 3
	errs := make([]error, runners)
	var wg sync.WaitGroup
	for i := range runners {
		wg.Go(func() { errs[i] = postgres.Migrate(ctx, db.URL, "race", "schema_migrations", fsys) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate runner %d: %v", i, err)
		}
	}
	if cur, _, dirty := status(t, db.URL, "race", "schema_migrations", fsys); cur != 5 || dirty {
		t.Errorf("status = (%d, dirty=%t), want (5, false)", cur, dirty)
	}
}

func TestRequireCurrentReportsPendingVersions(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := testContext(t)
	if err := postgres.Migrate(ctx, db.URL, "identity", "schema_migrations", numbered(2)); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	newer := numbered(5)

	cur, latest, dirty := status(t, db.URL, "identity", "schema_migrations", newer)
	if cur != 2 || latest != 5 || dirty {
		t.Errorf("status = (%d, %d, %t), want (2, 5, false)", cur, latest, dirty)
	}
	err := postgres.RequireCurrent(ctx, db.URL, "identity", "schema_migrations", newer)
	var behind *postgres.SchemaBehindError
	if !errors.As(fmt.Errorf("identity: %w", err), &behind) {
		t.Fatalf("RequireCurrent error = %v, want a *SchemaBehindError", err)
	}
	if fmt.Sprint(behind.Pending) != "[3 4 5]" || behind.Current != 2 || behind.Latest != 5 {
		t.Errorf("SchemaBehindError = %+v, want current 2, latest 5, pending [3 4 5]", behind)
	}
	for _, want := range []string{`database schema "identity" is at version 2 (dirty=false) but the binary expects 5`, "pending 3, 4, 5", `run "migrate up"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}

	// An older binary against a newer schema keeps serving.
	if err := postgres.RequireCurrent(ctx, db.URL, "identity", "schema_migrations", numbered(1)); err != nil {
		t.Errorf("RequireCurrent with an older source: %v", err)
	}
}

func TestMigrateFailureLeavesSchemaDirty(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := testContext(t)
	fsys := numbered(1)
	fsys["2_broken.up.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE broken (id int;")}

	if err := postgres.Migrate(ctx, db.URL, "svc", "schema_migrations", fsys); err == nil {
		t.Fatal("Migrate with a broken migration succeeded")
	}
	if cur, _, dirty := status(t, db.URL, "svc", "schema_migrations", fsys); cur != 2 || !dirty {
		t.Errorf("status = (%d, dirty=%t), want (2, true)", cur, dirty)
	}
	err := postgres.RequireCurrent(ctx, db.URL, "svc", "schema_migrations", fsys)
	if err == nil || !strings.Contains(err.Error(), "dirty=true") {
		t.Errorf("RequireCurrent = %v, want a dirty error", err)
	}
}

func TestTwoVersionTablesInOneSchema(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := testContext(t)
	service := numbered(3)
	events := fstest.MapFS{
		"1_outbox.up.sql": {Data: []byte("CREATE TABLE outbox (id bigserial PRIMARY KEY);")},
	}

	if err := postgres.Migrate(ctx, db.URL, "identity", "schema_migrations", service); err != nil {
		t.Fatalf("Migrate service: %v", err)
	}
	if err := postgres.RequireCurrent(ctx, db.URL, "identity", "events_schema_migrations", events); err == nil {
		t.Error("events source reported current before it was applied")
	}
	if err := postgres.Migrate(ctx, db.URL, "identity", "events_schema_migrations", events); err != nil {
		t.Fatalf("Migrate events: %v", err)
	}
	tests := []struct {
		table string
		fsys  fstest.MapFS
		want  uint
	}{
		{table: "schema_migrations", fsys: service, want: 3},
		{table: "events_schema_migrations", fsys: events, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			if cur, latest, dirty := status(t, db.URL, "identity", tt.table, tt.fsys); cur != tt.want || latest != tt.want || dirty {
				t.Errorf("status = (%d, %d, %t), want (%d, %d, false)", cur, latest, dirty, tt.want, tt.want)
			}
			if err := postgres.RequireCurrent(ctx, db.URL, "identity", tt.table, tt.fsys); err != nil {
				t.Errorf("RequireCurrent: %v", err)
			}
		})
	}
	if !regclassExists(t, db.URL, "identity.outbox") {
		t.Error("identity.outbox missing")
	}
}

func TestMigrateRejectsBadArguments(t *testing.T) {
	t.Parallel()
	fsys := numbered(1)
	tests := []struct {
		name               string
		url, schema, table string
		fsys               fstest.MapFS
		nilFS              bool
		want               string
	}{
		{name: "empty url", schema: "s", table: "t", fsys: fsys, want: "database URL is empty"},
		{name: "empty schema", url: "postgres://x@127.0.0.1/db", table: "t", fsys: fsys, want: "schema is empty"},
		{name: "empty table", url: "postgres://x@127.0.0.1/db", schema: "s", fsys: fsys, want: "version table is empty"},
		{name: "nil fs", url: "postgres://x@127.0.0.1/db", schema: "s", table: "t", nilFS: true, want: "migrations fs is nil"},
		{name: "no migrations", url: "postgres://x@127.0.0.1/db", schema: "s", table: "t", fsys: fstest.MapFS{"README.md": {}}, want: "no <version>_<name>.up.sql files"},
		{name: "duplicate version", url: "postgres://x@127.0.0.1/db", schema: "s", table: "t", fsys: fstest.MapFS{"1_a.up.sql": {}, "1_b.up.sql": {}}, want: "duplicate migration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			var err error
			if tt.nilFS {
				err = postgres.Migrate(ctx, tt.url, tt.schema, tt.table, nil)
			} else {
				err = postgres.Migrate(ctx, tt.url, tt.schema, tt.table, tt.fsys)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Migrate = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
