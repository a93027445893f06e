package tests

import (
	"testing"

	"reos.dev/pkg/testkit"
	"reos.dev/services/crm"
)

// TestMigratedByANonSuperuserOwner: production migrates as a database owner
// that is not a superuser. The import's statistics refresh (a SECURITY
// DEFINER function, because ANALYZE needs the tables' owner) must then
// work for the service role, and the tenant tables must still serve it;
// the other tests migrate as the superuser.
func TestMigratedByANonSuperuserOwner(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	db.MigrateSchemaAsOwner(t, crm.Root.Database())
	e := newEnvOn(t, db)

	admin := e.withRoles(newOrg(), []string{"admin"}, permsAdmin)
	e.createLead(admin, map[string]any{"email": "owner@example.com"}) // expects 201
	if _, err := db.Pool(t, "crm_app").Exec(t.Context(), "SELECT crm.refresh_import_statistics()"); err != nil {
		t.Fatalf("refresh_import_statistics as crm_app: %v", err)
	}
	var analysed bool
	if err := e.admin.QueryRow(t.Context(), `SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables
		WHERE schemaname = 'crm' AND relname = 'leads'`).Scan(&analysed); err != nil || !analysed {
		t.Fatalf("crm.leads analysed: %v, %v", analysed, err)
	}
}
