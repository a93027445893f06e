// Package identity is the identity service: authentication, users,
// organisations, teams, roles and the JWKS. This root package holds what the
// binary and the tests share: the embedded migrations and OpenAPI document,
// and the schema checks that gate `serve`.
package identity

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"reos.dev/pkg/events"
	"reos.dev/pkg/postgres"
)

// Schema is identity's PostgreSQL schema.
const Schema = "identity"

// Version tables of the two migration sources in Schema.
const (
	MigrationsTable       = "schema_migrations"
	EventsMigrationsTable = "events_schema_migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

//go:embed openapi.yaml
var openAPIYAML []byte

// Migrations are identity's own migrations (golang-migrate files at the root).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // unreachable: the directory is embedded above
	}
	return sub
}

// OpenAPIYAML returns the service's OpenAPI document as written.
func OpenAPIYAML() []byte { return append([]byte(nil), openAPIYAML...) }

// MigrationSource is one set of migrations with its version table.
type MigrationSource struct {
	Name  string
	Table string
	FS    fs.FS
}

// MigrationSources lists identity's migration sources in the order they are
// applied: its own schema first (it creates the role and default
// privileges), then pkg/events' outbox and inbox.
func MigrationSources() []MigrationSource {
	return []MigrationSource{
		{Name: "identity", Table: MigrationsTable, FS: Migrations()},
		{Name: "events", Table: EventsMigrationsTable, FS: events.Migrations},
	}
}

// Migrate applies every pending migration of every source, as the schema
// owner (databaseURL must log in as it).
func Migrate(ctx context.Context, databaseURL string) error {
	for _, src := range MigrationSources() {
		if err := postgres.Migrate(ctx, databaseURL, Schema, src.Table, src.FS); err != nil {
			return fmt.Errorf("migrate %s: %w", src.Name, err)
		}
	}
	return nil
}

// SourceStatus is the state of one migration source.
type SourceStatus struct {
	Name            string
	Current, Latest uint
	Dirty           bool
}

// MigrationStatus reports every source's recorded and latest version.
func MigrationStatus(ctx context.Context, databaseURL string) ([]SourceStatus, error) {
	var out []SourceStatus
	for _, src := range MigrationSources() {
		cur, latest, dirty, err := postgres.MigrationStatus(ctx, databaseURL, Schema, src.Table, src.FS)
		if err != nil {
			return nil, fmt.Errorf("migration status %s: %w", src.Name, err)
		}
		out = append(out, SourceStatus{Name: src.Name, Current: cur, Latest: latest, Dirty: dirty})
	}
	return out, nil
}

// RequireCurrent returns an error naming every source whose migrations are
// pending (or dirty); serve and seed refuse to run until `migrate up` has
// been run.
func RequireCurrent(ctx context.Context, databaseURL string) error {
	var errs []error
	for _, src := range MigrationSources() {
		if err := postgres.RequireCurrent(ctx, databaseURL, Schema, src.Table, src.FS); err != nil {
			errs = append(errs, fmt.Errorf("%s migrations: %w", src.Name, err))
		}
	}
	return errors.Join(errs...)
}
