// Package crm is the CRM service: contacts, leads, activities, notes,
// lead scoring and assignment, lead imports, deals with their pipeline and
// documents. This root package holds what the binary and the tests share:
// the embedded migrations and OpenAPI document, and the schema with its
// migration sources (pkg/service checks it before `serve`).
package crm

import (
	"embed"
	"io/fs"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/service"
)

// Schema is crm's PostgreSQL schema.
const Schema = "crm"

//go:embed migrations/*.sql
var migrationFiles embed.FS

//go:embed openapi.yaml
var openAPIYAML []byte

// Migrations are crm's own migrations (golang-migrate files at the root).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // unreachable: the directory is embedded above
	}
	return sub
}

// OpenAPIYAML returns the service's OpenAPI document as written.
func OpenAPIYAML() []byte { return append([]byte(nil), openAPIYAML...) }

// Database is crm's schema with its migration sources in the order they
// are applied: its own, pkg/events' outbox and inbox, then pkg/jobs'
// River tables and job effects.
func Database() postgres.Schema { return service.Schema(Schema, Migrations(), jobs.Sources()...) }
