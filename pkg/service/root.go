package service

import (
	"fmt"
	"io/fs"

	"reos.dev/pkg/postgres"
)

// Root is what a service's root package holds for its binary and its
// tests: the name of its schema, its migrations and its OpenAPI document,
// embedded in the binary. A service declares one from its go:embed files:
//
//	//go:embed migrations/*.sql openapi.yaml
//	var files embed.FS
//
//	var Root = service.NewRoot("crm", files, jobs.Sources()...)
type Root struct {
	schema     string
	migrations fs.FS
	openAPI    []byte
	shared     []postgres.Source
}

// NewRoot reads files' migrations/ directory and openapi.yaml; shared are
// the sources of shared tables the service also uses (jobs.Sources()),
// applied after its own and pkg/events'. It panics when files lacks either,
// a wiring mistake the service's first test shows.
func NewRoot(schema string, files fs.FS, shared ...postgres.Source) Root {
	migrations, err := fs.Sub(files, "migrations")
	if err == nil {
		var ups []string
		if ups, err = fs.Glob(migrations, "*.up.sql"); err == nil && len(ups) == 0 {
			err = fmt.Errorf("no migrations/*.up.sql")
		}
	}
	if err != nil {
		panic(fmt.Sprintf("service.NewRoot(%q): %v", schema, err))
	}
	doc, err := fs.ReadFile(files, "openapi.yaml")
	if err != nil {
		panic(fmt.Sprintf("service.NewRoot(%q): %v", schema, err))
	}
	return Root{schema: schema, migrations: migrations, openAPI: doc, shared: shared}
}

// Schema is the service's PostgreSQL schema.
func (r Root) Schema() string { return r.schema }

// AppRole is the group role the service's first migration creates and the
// service runs as (owning no table, so row-level security always applies).
func (r Root) AppRole() string { return r.schema + "_app" }

// Migrations are the service's own migrations (golang-migrate files).
func (r Root) Migrations() fs.FS { return r.migrations }

// OpenAPIYAML returns a copy of the service's OpenAPI document as written.
func (r Root) OpenAPIYAML() []byte { return append([]byte(nil), r.openAPI...) }

// Database is the service's schema with its migration sources in the
// order they are applied: its own, pkg/events' outbox and inbox, then the
// shared ones it was given.
func (r Root) Database() postgres.Schema { return Schema(r.schema, r.migrations, r.shared...) }
