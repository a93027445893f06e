package postgres_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
)

func TestSchemaAppliesEverySourceAndRequiresAllCurrent(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := testContext(t)
	own := numbered(2)
	shared := fstest.MapFS{}
	for _, v := range []string{"1", "2", "3"} {
		shared[v+"_s.up.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE s" + v + " (id int);")}
		shared[v+"_s.down.sql"] = &fstest.MapFile{Data: []byte("DROP TABLE s" + v + ";")}
	}
	partial := postgres.Schema{Name: "svc", Sources: []postgres.Source{{Name: "own", Table: "schema_migrations", FS: own}}}
	full := postgres.Schema{Name: "svc", Sources: []postgres.Source{
		{Name: "own", Table: "schema_migrations", FS: own},
		{Name: "shared", Table: "shared_schema_migrations", FS: shared},
	}}

	if err := partial.Migrate(ctx, db.URL); err != nil {
		t.Fatal(err)
	}
	err := full.RequireCurrent(ctx, db.URL)
	var behind *postgres.SchemaBehindError
	if !errors.As(err, &behind) || behind.Latest != 3 || !strings.Contains(err.Error(), "shared migrations") {
		t.Fatalf("RequireCurrent with a pending source = %v", err)
	}
	if strings.Contains(err.Error(), "own migrations") {
		t.Fatalf("a current source was reported: %v", err)
	}

	if err := full.Migrate(ctx, db.URL); err != nil {
		t.Fatal(err)
	}
	if err := full.RequireCurrent(ctx, db.URL); err != nil {
		t.Fatalf("all sources migrated, still refused: %v", err)
	}
	st, err := full.Status(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].Current != 2 || st[1].Current != 3 || st[1].Latest != 3 {
		t.Fatalf("status = %+v", st)
	}
}
