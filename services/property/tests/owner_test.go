package tests

import (
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/testkit"
	"reos.dev/services/property"
	"reos.dev/services/property/internal/server"
)

// TestMigratedByANonSuperuserOwner: production migrates as a database owner
// that is not a superuser, on a database that may have revoked TEMPORARY
// from PUBLIC. Migration 9's grant must then come from that owner, and
// property_org_ids_after (republish) must see across tenants through the
// owner's policy; the other tests migrate as the superuser, which would
// hide either missing.
func TestMigratedByANonSuperuserOwner(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := testkit.NewDatabase(t)
	db.MigrateSchemaAsOwner(t, property.Root.Database())
	e := newEnvOn(t, db)

	if _, err := e.admin.Exec(ctx, "REVOKE TEMPORARY ON DATABASE "+pgx.Identifier{db.Name}.Sanitize()+" FROM PUBLIC"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	var public, own bool
	if err := e.admin.QueryRow(ctx, `SELECT has_database_privilege('public', current_database(), 'TEMPORARY'),
		has_database_privilege('property_app', current_database(), 'TEMPORARY')`).Scan(&public, &own); err != nil {
		t.Fatal(err)
	}
	if public || !own {
		t.Fatalf("TEMPORARY: public %v, property_app %v; want false, true", public, own)
	}
	admin := e.token(newOrg(), "*")
	r := e.importCSV(admin, []byte("listing_key,list_price_cents,property_type,unparsed_address,city\nK-1,100,Land,1 A St,Austin\n"), "")
	expect(t, r, http.StatusCreated, "import without PUBLIC's TEMPORARY")
	if imp := decode[importJSON](t, r); imp.Report.Accepted != 1 {
		t.Fatalf("import %+v", imp)
	}

	rep, err := server.Republisher(e.db.Pool(t, "property_app"))
	if err != nil {
		t.Fatal(err)
	}
	if orgs, err := rep.Orgs(ctx, "", 10); err != nil || len(orgs) != 1 || orgs[0] != admin.OrgID {
		t.Fatalf("republish lists organisations %v, %v; want [%s]", orgs, err, admin.OrgID)
	}
}
