// Package migrations holds the gateway's SQL migrations, applied by
// `gateway migrate up` to schema gateway with version table
// gateway.schema_migrations.
package migrations

import "embed"

// FS holds the NNNNNN_name.up.sql / .down.sql files at its root.
//
//go:embed *.sql
var FS embed.FS

// Schema and Table name the schema and its version table.
const (
	Schema = "gateway"
	Table  = "schema_migrations"
)
