// Package crm is the CRM service: contacts, leads, activities, notes,
// lead scoring, deals and their pipeline. This root package holds what the
// binary and the tests share: the embedded migrations and OpenAPI document,
// and the schema checks that gate `serve`.
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
// are applied: its own, then pkg/events' outbox and inbox.
func Database() postgres.Schema { return service.Schema(Schema, Migrations(), jobs.Sources()...) }
