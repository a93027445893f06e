package tests

import (
	"testing"
)

// TestEveryTableIsTenantScoped: every crm table except the outbox/inbox,
// River's tables, job_effects (effect keys, written only by workers) and
// the version tables has org_id and forced row-level security, and the
// service role owns none of them.
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
	n := 0
	for rows.Next() {
		var name, owner string
		var rls, force, org bool
		if err := rows.Scan(&name, &rls, &force, &org, &owner); err != nil {
			t.Fatal(err)
		}
		n++
		if !rls || !force || !org || owner == "crm_app" {
			t.Errorf("%s: rls=%v force=%v org_id=%v owner=%s", name, rls, force, org, owner)
		}
	}
	if n != 19 {
		t.Errorf("%d tenant tables, want 19 (16 + lead_imports, deal_documents and deal_changes)", n)
	}
	// The service role can check the schema version (serve does, as it).
	if _, err := e.db.Pool(t, "crm_app").Exec(t.Context(), `SELECT version FROM crm.schema_migrations`); err != nil {
		t.Errorf("crm_app cannot read schema_migrations: %v", err)
	}
}
