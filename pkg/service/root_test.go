package service_test

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"reos.dev/pkg/postgres"
	"reos.dev/pkg/service"
)

func TestRoot(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"migrations/000001_init.up.sql":   {Data: []byte("CREATE TABLE t ();")},
		"migrations/000001_init.down.sql": {Data: []byte("DROP TABLE t;")},
		"openapi.yaml":                    {Data: []byte("openapi: 3.1.0\n")},
	}
	shared := postgres.Source{Name: "jobs", Table: "jobs_schema_migrations", FS: fstest.MapFS{}}
	r := service.NewRoot("things", files, shared)
	if r.Schema() != "things" || r.AppRole() != "things_app" {
		t.Fatalf("schema %q, role %q", r.Schema(), r.AppRole())
	}
	if ups, _ := fs.Glob(r.Migrations(), "*.up.sql"); len(ups) != 1 || ups[0] != "000001_init.up.sql" {
		t.Fatalf("migrations %v: want the files under migrations/ at the root", ups)
	}
	doc := r.OpenAPIYAML()
	doc[0] = 'X'
	if string(r.OpenAPIYAML()) != "openapi: 3.1.0\n" {
		t.Fatal("OpenAPIYAML hands out the document itself, not a copy")
	}
	db := r.Database()
	var names []string
	for _, s := range db.Sources {
		names = append(names, s.Name)
	}
	if db.Name != "things" || strings.Join(names, ",") != "things,events,jobs" {
		t.Fatalf("database %s with sources %v, want things then events then jobs", db.Name, names)
	}
}

func TestNewRootRefusesMissingFiles(t *testing.T) {
	t.Parallel()
	for name, files := range map[string]fstest.MapFS{
		"no migrations": {"openapi.yaml": {Data: []byte("x")}},
		"no openapi":    {"migrations/000001_a.up.sql": {Data: []byte("x")}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Fatal("NewRoot accepted it")
				}
			}()
			service.NewRoot("things", files)
		})
	}
}
