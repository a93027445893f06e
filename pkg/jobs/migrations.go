package jobs

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"reos.dev/pkg/postgres"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// EffectsMigrations creates the job_effects table (unqualified: applied
// into the owning service's schema).
var EffectsMigrations fs.FS = mustSub(migrationFiles, "migrations")

// Version tables of the two sources Sources returns.
const (
	RiverMigrationsTable   = "river_migration"
	EffectsMigrationsTable = "jobs_schema_migrations"
)

// Sources are the migration sources a service that runs jobs adds to its
// schema (after its own, whose default privileges grant the service role
// the tables these create): River's tables, migrated by River's own
// migrator into the schema, and the job_effects table.
func Sources() []postgres.Source {
	return []postgres.Source{
		{Name: "river", Table: RiverMigrationsTable, Migrator: riverMigrator{}},
		{Name: "jobs", Table: EffectsMigrationsTable, FS: EffectsMigrations},
	}
}

// riverMigrator applies River's migrations with rivermigrate, which keeps
// its versions in <schema>.river_migration.
type riverMigrator struct{}

func (riverMigrator) Up(ctx context.Context, databaseURL, schema string) error {
	return withMigrator(ctx, databaseURL, schema, func(m *rivermigrate.Migrator[pgx.Tx]) error {
		_, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	})
}

func (riverMigrator) Versions(ctx context.Context, databaseURL, schema string) (applied, known []uint, err error) {
	err = withMigrator(ctx, databaseURL, schema, func(m *rivermigrate.Migrator[pgx.Tx]) error {
		for _, v := range m.AllVersions() {
			known = append(known, uint(v.Version))
		}
		existing, err := m.ExistingVersions(ctx)
		if err != nil {
			return err
		}
		for _, v := range existing {
			applied = append(applied, uint(v.Version))
		}
		return nil
	})
	return applied, known, err
}

func withMigrator(ctx context.Context, databaseURL, schema string, fn func(*rivermigrate.Migrator[pgx.Tx]) error) error {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	defer pool.Close()
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{
		Schema: schema,
		// River logs each step at info; the migrate command prints status.
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if err := fn(m); err != nil {
		return fmt.Errorf("river migrations in schema %q: %w", schema, err)
	}
	return nil
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // unreachable: the directory is embedded above
	}
	return sub
}
