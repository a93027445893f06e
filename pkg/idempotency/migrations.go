package idempotency

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the idempotency_keys table (unqualified: apply it with
// postgres.Migrate into the owning service's schema, under its own version
// table such as idempotency_schema_migrations).
var Migrations fs.FS = mustSub(migrationFiles, "migrations")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // unreachable: the directory is embedded above
	}
	return sub
}
