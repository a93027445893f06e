package tests

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"reos.dev/services/crm"
)

// TestEveryTableIsTenantScoped: every crm table except the outbox/inbox,
// River's tables, job_effects (effect keys, written only by workers) and
// the version tables has org_id and forced row-level security, and the
// service role owns none of them. The tables checked must include every
// table crm's own migrations create, so the exclusions cannot hide one and
// a new migration's table is checked without editing this test.
func TestEveryTableIsTenantScoped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rows, err := e.admin.Query(t.Context(), `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
  EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'crm' AND table_name = c.relname AND column_name = 'org_id'),
  pg_get_userbyid(c.relowner)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'crm' AND c.relkind = 'r'
  AND c.relname NOT LIKE 'river\_%'
  AND c.relname NOT IN ('outbox', 'inbox', 'job_effects', 'schema_migrations', 'events_schema_migrations', 'jobs_schema_migrations')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var checked []string
	for rows.Next() {
		var name, owner string
		var rls, force, org bool
		if err := rows.Scan(&name, &rls, &force, &org, &owner); err != nil {
			t.Fatal(err)
		}
		checked = append(checked, name)
		if !rls || !force || !org || owner == "crm_app" {
			t.Errorf("%s: rls=%v force=%v org_id=%v owner=%s", name, rls, force, org, owner)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	created := migrationTables(t)
	if len(created) == 0 {
		t.Fatal("found no CREATE TABLE in crm's migrations")
	}
	for _, table := range created {
		if !slices.Contains(checked, table) {
			t.Errorf("crm's migrations create %s, which the check above leaves out", table)
		}
	}
	// The service role can check the schema version (serve does, as it).
	if _, err := e.db.Pool(t, "crm_app").Exec(t.Context(), `SELECT version FROM crm.schema_migrations`); err != nil {
		t.Errorf("crm_app cannot read schema_migrations: %v", err)
	}
}

var createTable = regexp.MustCompile(`(?im)^\s*CREATE TABLE (?:IF NOT EXISTS )?(?:crm\.)?(\w+)`)

// migrationTables lists the tables crm's own up migrations create.
func migrationTables(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(crm.Root.Migrations(), "*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, f := range files {
		sql, err := fs.ReadFile(crm.Root.Migrations(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range createTable.FindAllStringSubmatch(string(sql), -1) {
			tables = append(tables, strings.ToLower(m[1]))
		}
	}
	return tables
}
