package tests

import (
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/testkit"
	"reos.dev/services/identity"
)

// TestCompliancePermissionsReachExistingOrganisations: an organisation made
// before migration 7 (its system roles seeded without compliance:*) gets
// them on its system roles as a new organisation would, once and without
// duplicates; a role an admin made keeps exactly what it had.
func TestCompliancePermissionsReachExistingOrganisations(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := t.Context()
	src := identity.Root.Database().Sources[0]
	db.Migrate(t, identity.Schema, src.Table, migrationsBefore(t, src.FS, 7))

	const org = "0190a5d0-0000-7000-8000-0000000000aa"
	roles := map[string]struct {
		system bool
		perms  []string
	}{
		"sales":   {true, []string{"campaigns:read", "leads:read"}},
		"agent":   {true, []string{"compliance:read", "leads:read"}}, // already has it: unchanged
		"viewer":  {true, []string{"leads:read"}},
		"admin":   {true, []string{"*"}},
		"helpers": {false, []string{"leads:read"}}, // an admin's own role named like none of the system ones
	}
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, org); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO identity.organizations (id, name) VALUES ($1, 'Old org')`, org); err != nil {
			return err
		}
		i := 0
		for name, r := range roles {
			i++
			id := "0190a5d0-0000-7000-8000-0000000001" + strconv.Itoa(10+i)
			if _, err := tx.Exec(ctx, `INSERT INTO identity.roles (id, org_id, name, permissions, is_system) VALUES ($1, $2, $3, $4, $5)`,
				id, org, name, r.perms, r.system); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := identity.Root.Database().Migrate(ctx, db.URL); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	want := map[string][]string{
		"sales":   {"campaigns:read", "compliance:read", "compliance:write", "leads:read"},
		"agent":   {"compliance:read", "leads:read"},
		"viewer":  {"compliance:read", "leads:read"},
		"admin":   {"*"},
		"helpers": {"leads:read"},
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, org); err != nil {
			return err
		}
		for name, w := range want {
			var got []string
			if err := tx.QueryRow(ctx, `SELECT permissions FROM identity.roles WHERE name = $1`, name).Scan(&got); err != nil {
				return err
			}
			if !slices.Equal(got, w) {
				t.Errorf("role %s after the migration: %v, want %v", name, got, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var forced bool
	if err := conn.QueryRow(ctx, `SELECT relforcerowsecurity FROM pg_class WHERE oid = 'identity.roles'::regclass`).Scan(&forced); err != nil || !forced {
		t.Fatalf("roles' FORCE ROW LEVEL SECURITY after the migration: %v (%v)", forced, err)
	}
}

// migrationsBefore is fsys with only the migrations numbered below version.
func migrationsBefore(t *testing.T, fsys fs.FS, version int) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".sql") {
			return err
		}
		base := path[strings.LastIndex(path, "/")+1:]
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", path, err)
		}
		if n < version {
			b, err := fs.ReadFile(fsys, path)
			if err != nil {
				return err
			}
			out[base] = &fstest.MapFile{Data: b}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
