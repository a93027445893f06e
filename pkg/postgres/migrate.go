package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// defaultLockWait is how long Migrate waits for another process that is
// migrating the same version table when ctx carries no deadline.
// golang-migrate's own default (15 s) is shorter than a slow migration.
const defaultLockWait = 10 * time.Minute

// createSchemaLock serialises CREATE SCHEMA IF NOT EXISTS across processes:
// two concurrent ones can still fail with a unique violation on
// pg_namespace. The value is arbitrary but fixed.
const createSchemaLock int64 = 0x7265_6f73_5f73_6368 // "reos_sch"

// Migrate applies every pending up migration found at the root of fsys to
// schema, keeping its version in schema.table. It creates the schema when
// missing and runs the migrations with search_path set to it, so migration
// files use unqualified names. It is safe to run twice (nothing pending is
// success) and from two processes at once (golang-migrate holds an advisory
// lock per database, schema and version table, so two sources sharing a
// schema do not block each other).
func Migrate(ctx context.Context, databaseURL, schema, table string, fsys fs.FS) error {
	if err := validateMigrationArgs(databaseURL, schema, table, fsys); err != nil {
		return err
	}
	if _, err := sourceVersions(fsys); err != nil {
		return err
	}
	if err := ensureSchema(ctx, databaseURL, schema); err != nil {
		return err
	}
	m, err := newMigrator(ctx, databaseURL, schema, table, fsys)
	if err != nil {
		return err
	}
	defer m.Close()

	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			// Stops between migrations; one already running finishes.
			m.GracefulStop <- true
		case <-done:
		}
	}()

	err = m.Up()
	switch {
	case err == nil, errors.Is(err, migrate.ErrNoChange):
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("postgres: migrate schema %q: %w", schema, ctxErr)
		}
		return nil
	default:
		return fmt.Errorf("postgres: migrate schema %q (version table %s.%s): %w", schema, schema, table, err)
	}
}

// MigrationStatus reports the version schema.table records, the highest
// version in fsys, and whether the last migration failed part-way (dirty).
// It only reads: a missing schema or version table is version 0.
func MigrationStatus(ctx context.Context, databaseURL, schema, table string, fsys fs.FS) (current, latest uint, dirty bool, err error) {
	if err := validateMigrationArgs(databaseURL, schema, table, fsys); err != nil {
		return 0, 0, false, err
	}
	versions, err := sourceVersions(fsys)
	if err != nil {
		return 0, 0, false, err
	}
	current, dirty, err = recordedVersion(ctx, databaseURL, schema, table)
	if err != nil {
		return 0, 0, false, err
	}
	return current, versions[len(versions)-1], dirty, nil
}

// RequireCurrent returns a *SchemaBehindError when schema.table is behind
// the migrations in fsys or dirty, so a binary can refuse to serve against
// a schema it does not understand. A schema ahead of fsys passes: a newer
// release has migrated it and migrations are kept backward compatible.
func RequireCurrent(ctx context.Context, databaseURL, schema, table string, fsys fs.FS) error {
	if err := validateMigrationArgs(databaseURL, schema, table, fsys); err != nil {
		return err
	}
	versions, err := sourceVersions(fsys)
	if err != nil {
		return err
	}
	current, dirty, err := recordedVersion(ctx, databaseURL, schema, table)
	if err != nil {
		return err
	}
	var pending []uint
	for _, v := range versions {
		if v > current {
			pending = append(pending, v)
		}
	}
	if len(pending) == 0 && !dirty {
		return nil
	}
	return &SchemaBehindError{
		Schema:  schema,
		Table:   table,
		Current: current,
		Latest:  versions[len(versions)-1],
		Dirty:   dirty,
		Pending: pending,
	}
}

// SchemaBehindError says which migrations a schema lacks. The caller may
// wrap it to name its binary; errors.As finds it through the wrapping.
type SchemaBehindError struct {
	Schema  string
	Table   string
	Current uint
	Latest  uint
	Dirty   bool
	Pending []uint
}

// Error names the schema, both versions, the pending ones and the fix.
func (e *SchemaBehindError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "database schema %q is at version %d (dirty=%t) but the binary expects %d", e.Schema, e.Current, e.Dirty, e.Latest)
	fmt.Fprintf(&b, " (version table %s.%s", e.Schema, e.Table)
	if len(e.Pending) > 0 {
		b.WriteString(", pending ")
		for i, v := range e.Pending {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatUint(uint64(v), 10))
		}
	}
	b.WriteString(")")
	if e.Dirty {
		b.WriteString(`: a migration failed part-way; repair the schema, force the version, then run "migrate up"`)
	} else {
		b.WriteString(`: run "migrate up"`)
	}
	return b.String()
}

func validateMigrationArgs(databaseURL, schema, table string, fsys fs.FS) error {
	var errs []error
	if strings.TrimSpace(databaseURL) == "" {
		errs = append(errs, errors.New("database URL is empty"))
	}
	if schema == "" {
		errs = append(errs, errors.New("schema is empty"))
	}
	if table == "" {
		errs = append(errs, errors.New("version table is empty"))
	}
	if fsys == nil {
		errs = append(errs, errors.New("migrations fs is nil"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	return nil
}

// sourceVersions lists the versions in fsys in ascending order. An empty
// source is an error: it almost always means a wrong go:embed pattern, and
// letting it pass would make RequireCurrent accept any schema.
func sourceVersions(fsys fs.FS) ([]uint, error) {
	src, err := iofs.New(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
	}
	defer src.Close()
	var versions []uint
	v, err := src.First()
	for err == nil {
		versions = append(versions, v)
		v, err = src.Next(v)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
	}
	if len(versions) == 0 {
		return nil, errors.New("postgres: read migrations: no <version>_<name>.up.sql files at the root of the migrations fs")
	}
	return versions, nil
}

func ensureSchema(ctx context.Context, databaseURL, schema string) error {
	conn, err := connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: look up schema %q: %w", schema, err)
	}
	if exists {
		return nil
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", createSchemaLock); err != nil {
			return fmt.Errorf("postgres: lock schema creation: %w", err)
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("postgres: create schema %q: %w", schema, err)
		}
		return nil
	})
}

func recordedVersion(ctx context.Context, databaseURL, schema, table string) (version uint, dirty bool, err error) {
	conn, err := connect(ctx, databaseURL)
	if err != nil {
		return 0, false, err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	qualified := pgx.Identifier{schema, table}.Sanitize()
	var found bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", qualified).Scan(&found); err != nil {
		return 0, false, fmt.Errorf("postgres: look up version table %s: %w", qualified, err)
	}
	if !found {
		return 0, false, nil
	}
	var v int64
	err = conn.QueryRow(ctx, "SELECT version, dirty FROM "+qualified+" LIMIT 1").Scan(&v, &dirty)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("postgres: read version table %s: %w", qualified, err)
	case v < 0:
		return 0, dirty, nil
	}
	return uint(v), dirty, nil
}

func connect(ctx context.Context, databaseURL string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, errors.New("postgres: cannot parse database URL")
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect to %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return conn, nil
}

// newMigrator builds a golang-migrate instance over a database/sql handle
// whose connections have search_path set to schema, with the version table
// pinned to schema rather than whatever current_schema() happens to be.
func newMigrator(ctx context.Context, databaseURL, schema, table string, fsys fs.FS) (*migrate.Migrate, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, errors.New("postgres: cannot parse database URL")
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	db := stdlib.OpenDB(*cfg)

	driver, err := migratepgx.WithInstance(db, &migratepgx.Config{
		SchemaName:      schema,
		MigrationsTable: table,
	})
	if err != nil {
		_ = db.Close() // the driver error is the one worth reporting
		return nil, fmt.Errorf("postgres: open migration driver for %q: %w", schema, err)
	}
	src, err := iofs.New(fsys, ".")
	if err != nil {
		_ = driver.Close() // the read error is the one worth reporting
		return nil, fmt.Errorf("postgres: read migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", driver)
	if err != nil {
		// The set-up error is the one worth reporting.
		_ = src.Close()
		_ = driver.Close()
		return nil, fmt.Errorf("postgres: set up migrations for %q: %w", schema, err)
	}
	m.LockTimeout = defaultLockWait
	if deadline, ok := ctx.Deadline(); ok {
		m.LockTimeout = max(time.Until(deadline), time.Millisecond)
	}
	return m, nil
}
