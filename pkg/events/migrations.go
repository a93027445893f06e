package events

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations holds the outbox and inbox DDL (golang-migrate files at the root
// of the FS, unqualified table names). Apply it with search_path set to the
// service schema and a version table of its own, e.g.
// postgres.Migrate(ctx, url, schema, "events_schema_migrations", events.Migrations).
var Migrations fs.FS = mustSub(migrationFiles, "migrations")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		// Unreachable: dir is a literal embedded above.
		panic(err)
	}
	return sub
}
