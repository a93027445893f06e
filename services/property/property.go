// Package property is the property service: properties, their history,
// listings and their snapshots, and search. This root package holds what
// the binary and the tests share: the embedded migrations and OpenAPI
// document, and the schema with its migration sources.
package property

import (
	"embed"
	"io/fs"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/service"
)

// Schema is property's PostgreSQL schema.
const Schema = "property"

//go:embed migrations/*.sql
var migrationFiles embed.FS

//go:embed openapi.yaml
var openAPIYAML []byte

// Migrations are property's own migrations (golang-migrate files at the root).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // unreachable: the directory is embedded above
	}
	return sub
}

// OpenAPIYAML returns the service's OpenAPI document as written.
func OpenAPIYAML() []byte { return append([]byte(nil), openAPIYAML...) }

// Database is property's schema with its migration sources in the order
// they are applied: its own first (it creates the role, the default
// privileges and pg_trgm), then pkg/events' outbox and inbox, then River's
// tables and the job effects of pkg/jobs.
func Database() postgres.Schema { return service.Schema(Schema, Migrations(), jobs.Sources()...) }
