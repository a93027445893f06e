package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// Source is one set of migrations kept in a schema under its own version
// table: a service's own migrations, and the shared tables that pkg/events or
// pkg/idempotency bring along.
type Source struct {
	Name  string
	Table string
	FS    fs.FS
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
		if err := RequireCurrent(ctx, databaseURL, s.Name, src.Table, src.FS); err != nil {
			errs = append(errs, fmt.Errorf("%s migrations: %w", src.Name, err))
		}
	}
	return errors.Join(errs...)
}
