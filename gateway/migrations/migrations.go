// Package migrations holds the gateway's SQL migrations: its own (schema,
// role, grants) in gateway.schema_migrations, then pkg/idempotency's table in
// gateway.idempotency_schema_migrations. `gateway migrate up` applies both.
package migrations

import (
	"embed"

	"reos.dev/pkg/idempotency"
	"reos.dev/pkg/postgres"
)

// FS holds the gateway's own NNNNNN_name.up.sql / .down.sql files at its root.
//
//go:embed *.sql
var FS embed.FS

// Schema and Table name the schema and the version table of FS.
const (
	Schema = "gateway"
	Table  = "schema_migrations"
)

// Database is the gateway's schema with its migration sources in order.
func Database() postgres.Schema {
	return postgres.Schema{Name: Schema, Sources: []postgres.Source{
		{Name: "gateway", Table: Table, FS: FS},
		{Name: "idempotency", Table: "idempotency_schema_migrations", FS: idempotency.Migrations},
	}}
}
