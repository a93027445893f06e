package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
)

const (
	orgA = "0190a3c4-0000-7000-8000-00000000000a"
	orgB = "0190a3c4-0000-7000-8000-00000000000b"
)

// orgSetting reads app.org_id as the current transaction (or session) sees
// it; "" when unset.
func orgSetting(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (string, error) {
	var v string
	err := q.QueryRow(ctx, "SELECT coalesce(current_setting('app.org_id', true), '')").Scan(&v)
	return v, err
}

func TestInOrgTxScopesOrgToTransaction(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := testContext(t)
	// One connection, so "after" runs on the very connection the
	// transaction used and would see a leaked session setting.
	pool, err := postgres.Open(ctx, postgres.Config{URL: db.URL, MaxConns: 1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer pool.Close()

	var inside string
	err = postgres.InOrgTx(ctx, pool, orgA, func(tx pgx.Tx) error {
		inside, err = orgSetting(ctx, tx)
		return err
	})
	if err != nil {
		t.Fatalf("InOrgTx: %v", err)
	}
	if inside != orgA {
		t.Errorf("app.org_id inside = %q, want %q", inside, orgA)
	}
	after, err := orgSetting(ctx, pool)
	if err != nil {
		t.Fatalf("read after: %v", err)
	}
	if after != "" {
		t.Errorf("app.org_id after commit = %q, want it unset", after)
	}

	// Non-canonical spellings are normalised before they reach policies.
	err = postgres.InOrgTx(ctx, pool, "{"+uuid.MustParse(orgB).String()+"}", func(tx pgx.Tx) error {
		inside, err = orgSetting(ctx, tx)
		return err
	})
	if err != nil {
		t.Fatalf("InOrgTx with braces: %v", err)
	}
	if inside != orgB {
		t.Errorf("app.org_id inside = %q, want %q", inside, orgB)
	}
}

func TestInOrgTxRejectsBadOrgID(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	pool := db.Pool(t, "")
	tests := []struct {
		name  string
		orgID string
	}{
		{name: "empty", orgID: ""},
		{name: "not a uuid", orgID: "acme"},
		{name: "sql", orgID: "'; DROP TABLE x; --"},
		{name: "nil uuid", orgID: uuid.Nil.String()},
		{name: "truncated", orgID: orgA[:30]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			called := false
			err := postgres.InOrgTx(testContext(t), pool, tt.orgID, func(pgx.Tx) error {
				called = true
				return nil
			})
			if err == nil {
				t.Fatalf("InOrgTx(%q) succeeded", tt.orgID)
			}
			if called {
				t.Errorf("fn ran for invalid org id %q", tt.orgID)
			}
		})
	}
}

func TestTxRollsBack(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	pool := db.Pool(t, "")
	ctx := testContext(t)
	if _, err := pool.Exec(ctx, "CREATE TABLE notes (body text NOT NULL)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	errBoom := errors.New("boom")

	runners := []struct {
		name string
		run  func(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error
	}{
		{name: "InOrgTx", run: func(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
			return postgres.InOrgTx(ctx, pool, orgA, fn)
		}},
		{name: "InTx", run: postgres.InTx},
	}
	for _, r := range runners {
		t.Run(r.name+"/error", func(t *testing.T) {
			body := r.name + " error"
			err := r.run(ctx, pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO notes VALUES ($1)", body); err != nil {
					return err
				}
				return fmt.Errorf("wrapped: %w", errBoom)
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("err = %v, want it to wrap errBoom", err)
			}
			assertNoNote(ctx, t, pool, body)
		})
		t.Run(r.name+"/panic", func(t *testing.T) {
			body := r.name + " panic"
			got := func() (p any) {
				defer func() { p = recover() }()
				_ = r.run(ctx, pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, "INSERT INTO notes VALUES ($1)", body); err != nil {
						return err
					}
					panic("kaboom")
				})
				return nil
			}()
			if got != "kaboom" {
				t.Fatalf("recovered %v, want the original panic value", got)
			}
			assertNoNote(ctx, t, pool, body)
		})
		t.Run(r.name+"/commit", func(t *testing.T) {
			body := r.name + " commit"
			err := r.run(ctx, pool, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO notes VALUES ($1)", body)
				return err
			})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			var n int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM notes WHERE body = $1", body).Scan(&n); err != nil || n != 1 {
				t.Fatalf("committed rows = %d (%v), want 1", n, err)
			}
		})
	}
}

func assertNoNote(ctx context.Context, t *testing.T, pool *pgxpool.Pool, body string) {
	t.Helper()
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM notes WHERE body = $1", body).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	if n != 0 {
		t.Errorf("found %d rows %q after rollback, want 0", n, body)
	}
}

func rlsMigrations(role string) fstest.MapFS {
	r := pgx.Identifier{role}.Sanitize()
	return fstest.MapFS{
		"1_leads.up.sql": {Data: []byte(`
CREATE TABLE leads (
    id     bigserial PRIMARY KEY,
    org_id uuid NOT NULL,
    name   text NOT NULL
);
ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
ALTER TABLE leads FORCE ROW LEVEL SECURITY;
CREATE POLICY leads_by_org ON leads
    USING (org_id = current_setting('app.org_id')::uuid)
    WITH CHECK (org_id = current_setting('app.org_id')::uuid);
GRANT USAGE ON SCHEMA crm TO ` + r + `;
GRANT SELECT, INSERT, UPDATE, DELETE ON leads TO ` + r + `;
GRANT USAGE ON SEQUENCE leads_id_seq TO ` + r + `;
`)},
		"1_leads.down.sql": {Data: []byte(`DROP TABLE leads;`)},
	}
}

func TestRowLevelSecurityIsEnforcedForNonOwnerRole(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	role := testkit.UniqueName(t, "crm_app")
	createRole(t, db, role)
	db.Migrate(t, "crm", "schema_migrations", rlsMigrations(role))
	app := db.Pool(t, role)
	owner := db.Pool(t, "")
	ctx := testContext(t)

	insert := func(orgID string, names ...string) {
		t.Helper()
		err := postgres.InOrgTx(ctx, app, orgID, func(tx pgx.Tx) error {
			for _, n := range names {
				if _, err := tx.Exec(ctx, "INSERT INTO crm.leads (org_id, name) VALUES ($1, $2)", orgID, n); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("insert for %s: %v", orgID, err)
		}
	}
	insert(orgA, "a1", "a2")
	insert(orgB, "b1")

	visible := func(orgID string) []string {
		t.Helper()
		var names []string
		err := postgres.InOrgTx(ctx, app, orgID, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, "SELECT name FROM crm.leads ORDER BY name")
			if err != nil {
				return err
			}
			names, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err != nil {
			t.Fatalf("select for %s: %v", orgID, err)
		}
		return names
	}
	t.Run("each org sees only its rows", func(t *testing.T) {
		if got := fmt.Sprint(visible(orgA)); got != "[a1 a2]" {
			t.Errorf("org A sees %s, want [a1 a2]", got)
		}
		if got := fmt.Sprint(visible(orgB)); got != "[b1]" {
			t.Errorf("org B sees %s, want [b1]", got)
		}
	})
	t.Run("cannot write another org's rows", func(t *testing.T) {
		err := postgres.InOrgTx(ctx, app, orgA, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO crm.leads (org_id, name) VALUES ($1, 'sneaky')", orgB)
			return err
		})
		if err == nil {
			t.Error("org A inserted a row for org B")
		}
		var updated int64
		err = postgres.InOrgTx(ctx, app, orgA, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, "UPDATE crm.leads SET name = 'taken' WHERE name = 'b1'")
			updated = tag.RowsAffected()
			return err
		})
		if err != nil || updated != 0 {
			t.Errorf("org A updated %d of org B's rows (err %v), want 0", updated, err)
		}
	})
	t.Run("no org sees nothing", func(t *testing.T) {
		var n int
		err := postgres.InTx(ctx, app, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, "SELECT count(*) FROM crm.leads").Scan(&n)
		})
		if err == nil && n != 0 {
			t.Errorf("transaction without org sees %d rows", n)
		}
	})
	t.Run("owner bypass shows all rows exist", func(t *testing.T) {
		// reos is a superuser, which RLS never applies to: this proves the
		// rows are there and the filtering above came from the policy.
		var n int
		if err := owner.QueryRow(ctx, "SELECT count(*) FROM crm.leads").Scan(&n); err != nil || n != 3 {
			t.Errorf("superuser sees %d rows (%v), want 3", n, err)
		}
	})
}
