package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
)

// Source is one set of migrations kept in a schema under its own version
// table: a service's own migrations, and the shared tables that pkg/events or
// pkg/idempotency bring along.
type Source struct {
	Name  string
	Table string
	FS    fs.FS
	// Migrator, when set, applies the source instead of golang-migrate over
	// FS: for a library that keeps its own migrations and version table
	// (River's, in pkg/jobs). Table then names that table in messages.
	Migrator Migrator
}

// Migrator applies a migration source that keeps its own versions.
type Migrator interface {
	// Up applies every pending migration to schema, as its owner.
	Up(ctx context.Context, databaseURL, schema string) error
	// Versions reports the applied migrations and every known one; it only
	// reads, and a schema never migrated has none applied.
	Versions(ctx context.Context, databaseURL, schema string) (applied, known []uint, err error)
}

// Schema is a service's schema with its migration sources, in the order they
// are applied (the service's own first: it creates the role and the default
// privileges that cover the tables the others create).
type Schema struct {
	Name    string
	Sources []Source
}

// SourceStatus is the state of one migration source.
type SourceStatus struct {
	Name            string
	Current, Latest uint
	Dirty           bool
}

// Migrate applies every pending migration of every source, as the schema
// owner (databaseURL must log in as it).
func (s Schema) Migrate(ctx context.Context, databaseURL string) error {
	for _, src := range s.Sources {
		if src.Migrator != nil {
			if err := src.Migrator.Up(ctx, databaseURL, s.Name); err != nil {
				return fmt.Errorf("migrate %s: %w", src.Name, err)
			}
			continue
		}
		if err := Migrate(ctx, databaseURL, s.Name, src.Table, src.FS); err != nil {
			return fmt.Errorf("migrate %s: %w", src.Name, err)
		}
	}
	return nil
}

// Status reports every source's recorded and latest version.
func (s Schema) Status(ctx context.Context, databaseURL string) ([]SourceStatus, error) {
	out := make([]SourceStatus, 0, len(s.Sources))
	for _, src := range s.Sources {
		if src.Migrator != nil {
			applied, known, err := src.Migrator.Versions(ctx, databaseURL, s.Name)
			if err != nil {
				return nil, fmt.Errorf("migration status %s: %w", src.Name, err)
			}
			out = append(out, SourceStatus{Name: src.Name, Current: highest(applied), Latest: highest(known)})
			continue
		}
		cur, latest, dirty, err := MigrationStatus(ctx, databaseURL, s.Name, src.Table, src.FS)
		if err != nil {
			return nil, fmt.Errorf("migration status %s: %w", src.Name, err)
		}
		out = append(out, SourceStatus{Name: src.Name, Current: cur, Latest: latest, Dirty: dirty})
	}
	return out, nil
}

// RequireCurrent returns an error naming every source whose migrations are
// pending or dirty; a binary refuses to serve until `migrate up` has run.
// Each error in the join is a *SchemaBehindError for errors.As.
func (s Schema) RequireCurrent(ctx context.Context, databaseURL string) error {
	var errs []error
	for _, src := range s.Sources {
		if src.Migrator != nil {
			if err := requireCurrentCustom(ctx, databaseURL, s.Name, src); err != nil {
				errs = append(errs, fmt.Errorf("%s migrations: %w", src.Name, err))
			}
			continue
		}
		if err := RequireCurrent(ctx, databaseURL, s.Name, src.Table, src.FS); err != nil {
			errs = append(errs, fmt.Errorf("%s migrations: %w", src.Name, err))
		}
	}
	return errors.Join(errs...)
}

// requireCurrentCustom is RequireCurrent for a source with its own
// Migrator: every version up to the latest must be applied.
func requireCurrentCustom(ctx context.Context, databaseURL, schema string, src Source) error {
	applied, known, err := src.Migrator.Versions(ctx, databaseURL, schema)
	if err != nil {
		return err
	}
	var pending []uint
	for _, v := range known {
		if !slices.Contains(applied, v) {
			pending = append(pending, v)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	slices.Sort(pending)
	return &SchemaBehindError{Schema: schema, Table: src.Table, Current: highest(applied), Latest: highest(known), Pending: pending}
}

func highest(vs []uint) uint {
	var h uint
	for _, v := range vs {
		h = max(h, v)
	}
	return h
}
