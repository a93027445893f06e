package tests

import (
	"net/http"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/testkit"
)

// TestOtherOrganisationIsUntouched: beside the generated cross-org tests
// (TestRoutes), another organisation's rows stay as they were, its users do
// not appear in lists, and its user cannot be made a member of one's own
// team (the id in the body is looked up in the caller's organisation).
func TestOtherOrganisationIsUntouched(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("a@a.test", "Org A")
	b := e.register("b@b.test", "Org B")
	tokA := e.login("a@a.test", goodPassword).AccessToken
	tokB := e.login("b@b.test", goodPassword).AccessToken

	r := e.call(http.MethodPost, "/api/v1/teams", tokB, map[string]string{"name": "B Team"})
	expect(t, r, http.StatusCreated, "create B team")
	teamB := decode[struct{ ID string }](t, r).ID
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPut, "/api/v1/users/" + b.ID, map[string]string{"full_name": "Hijacked"}},
		{http.MethodDelete, "/api/v1/users/" + b.ID, nil},
		{http.MethodPost, "/api/v1/admin/users/" + b.ID + "/reset-password", nil},
		{http.MethodPut, "/api/v1/teams/" + teamB, map[string]string{"name": "Mine now"}},
	} {
		expect(t, e.call(c.method, c.path, tokA, c.body), http.StatusNotFound, c.method+" "+c.path+" from A")
	}

	// B's user, team and login are untouched.
	r = e.call(http.MethodGet, "/api/v1/users/"+b.ID, tokB, nil)
	expect(t, r, http.StatusOK, "B reads B")
	if u := decode[userJSON](t, r); u.FullName != "Owner of Org B" || u.Status != "active" {
		t.Errorf("B's user changed: %+v", u)
	}
	r = e.call(http.MethodGet, "/api/v1/teams/"+teamB, tokB, nil)
	expect(t, r, http.StatusOK, "B reads B's team")
	if got := decode[struct{ Name string }](t, r).Name; got != "B Team" {
		t.Errorf("B's team renamed to %q", got)
	}
	e.login("b@b.test", goodPassword)

	// A's lists do not show B.
	r = e.call(http.MethodGet, "/api/v1/users", tokA, nil)
	if items := decode[struct{ Items []userJSON }](t, r).Items; len(items) != 1 || items[0].Email != "a@a.test" {
		t.Errorf("A's user list = %+v", items)
	}
	// A cannot add B's user to its own team either: an id in a body that
	// names no row of A's is a 422 on its field.
	r = e.call(http.MethodPost, "/api/v1/teams", tokA, map[string]string{"name": "A Team"})
	teamA := decode[struct{ ID string }](t, r).ID
	testkit.ExpectField(t, e.call(http.MethodPost, "/api/v1/teams/"+teamA+"/members", tokA, map[string]string{"user_id": b.ID}),
		http.StatusUnprocessableEntity, "user_id", "add B's user to A's team")
}

func TestPermissionsAndMassAssignment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("boss@p.test", "Perm Co")
	admin := e.login("boss@p.test", goodPassword).AccessToken
	viewer := e.createUser(admin, "viewer@p.test", "viewer")
	agent := e.createUser(admin, "agent@p.test", "agent")
	vTok := e.login("viewer@p.test", goodPassword).AccessToken

	// A viewer cannot edit someone else, but may edit itself.
	r := e.call(http.MethodPut, "/api/v1/users/"+agent.ID, vTok, map[string]string{"full_name": "Renamed"})
	expect(t, r, http.StatusForbidden, "viewer edits agent")
	if p := decode[problemJSON](t, r); p.reason() != "missing_permission" {
		t.Errorf("reason = %q", p.reason())
	}
	r = e.call(http.MethodPut, "/api/v1/users/"+viewer.ID, vTok, map[string]string{"full_name": "Vera Viewer", "timezone": "Europe/Paris"})
	expect(t, r, http.StatusOK, "viewer edits itself")
	if u := decode[userJSON](t, r); u.FullName != "Vera Viewer" || u.Timezone == nil || *u.Timezone != "Europe/Paris" {
		t.Errorf("self update = %+v", u)
	}
	// Reads: the viewer lists users but not the admin list (the generated
	// tests refuse it every write).
	expect(t, e.call(http.MethodGet, "/api/v1/admin/users", vTok, nil), http.StatusForbidden, "viewer admin list")
	expect(t, e.call(http.MethodGet, "/api/v1/users", vTok, nil), http.StatusOK, "viewer lists users")

	// Fields outside the profile are refused by name, and nothing changes.
	for _, field := range []string{"org_id", "roles", "is_admin", "email", "status"} {
		t.Run("PUT with "+field, func(t *testing.T) {
			body := map[string]any{"full_name": "Should Not Stick", field: "x"}
			if field == "roles" {
				body[field] = []string{"admin"}
			}
			r := e.call(http.MethodPut, "/api/v1/users/"+viewer.ID, vTok, body)
			expect(t, r, http.StatusUnprocessableEntity, "PUT with "+field)
			if !decode[problemJSON](t, r).hasField(field) {
				t.Errorf("problem does not name %q: %s", field, r)
			}
		})
	}
	r = e.call(http.MethodGet, "/api/v1/users/"+viewer.ID, admin, nil)
	if u := decode[userJSON](t, r); u.FullName != "Vera Viewer" || len(u.Roles) != 1 || u.Roles[0] != "viewer" {
		t.Errorf("after refused updates: %+v", u)
	}

	// Profile validation names the field.
	r = e.call(http.MethodPut, "/api/v1/users/"+viewer.ID, vTok, map[string]string{"timezone": "Mars/Olympus", "phone": "call me"})
	expect(t, r, http.StatusUnprocessableEntity, "bad profile")
	if p := decode[problemJSON](t, r); !p.hasField("timezone") || !p.hasField("phone") {
		t.Errorf("problem = %s", r)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/users/not-a-uuid", admin, nil), http.StatusBadRequest, "malformed id")
}

// TestRLSWithoutOrg: as the service role, a query that has not set
// app.org_id sees no tenant rows, also on a pooled connection where an
// earlier transaction did set it. The tenant tables are read from the
// catalogue (every table of the schema with an org_id column or row-level
// security), so a table a migration adds is checked without editing this.
func TestRLSWithoutOrg(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("rls@example.test", "RLS Co")
	// A row in every tenant table: a login (refresh token, attempt), a
	// team with a member and a deleted team.
	tok := e.login("rls@example.test", goodPassword).AccessToken
	for _, name := range []string{"Kept", "Dropped"} {
		r := e.call(http.MethodPost, "/api/v1/teams", tok, map[string]string{"name": name})
		expect(t, r, http.StatusCreated, "create team "+name)
		team := decode[struct{ ID string }](t, r).ID
		if name == "Kept" {
			expect(t, e.call(http.MethodPost, "/api/v1/teams/"+team+"/members", tok, map[string]string{"user_id": u.ID}), http.StatusOK, "add member")
		} else {
			expect(t, e.call(http.MethodDelete, "/api/v1/teams/"+team, tok, nil), http.StatusNoContent, "delete team")
		}
	}
	app := e.db.Pool(t, "identity_app")
	ctx := t.Context()

	rows, err := e.admin.Query(ctx, `SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'identity' AND c.relkind = 'r'
		  AND (c.relrowsecurity OR EXISTS (SELECT FROM pg_attribute a
		       WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped))
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var name string
		var forced bool
		if err := r.Scan(&name, &forced); err != nil {
			return "", err
		}
		if !forced {
			t.Errorf("identity.%s has an org_id but no enabled and forced row-level security", name)
		}
		return name, nil
	})
	if err != nil || !slices.Contains(tables, "users") {
		t.Fatalf("tenant tables %v, %v", tables, err)
	}
	for _, table := range tables {
		if n := scalar[int](e, `SELECT count(*) FROM identity.`+table); n == 0 {
			t.Errorf("the test wrote no row into identity.%s, so its RLS check proves nothing", table)
		}
	}
	conn, err := app.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	count := func(q string) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	for _, table := range tables {
		if n := count(`SELECT count(*) FROM identity.` + table); n != 0 {
			t.Errorf("identity_app without app.org_id sees %d rows of %s", n, table)
		}
	}
	// Set the org in one transaction, then query outside it on the same connection.
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, u.OrgID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM identity.users`).Scan(&n); err != nil || n != 1 {
			t.Errorf("inside the org's transaction: %d users, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM identity.users`); n != 0 {
		t.Errorf("after the transaction ended, identity_app sees %d users", n)
	}
	// Writing into another organisation is refused by WITH CHECK.
	_, err = conn.Exec(ctx, `INSERT INTO identity.organizations (id, name) VALUES (gen_random_uuid(), 'sneaky')`)
	if err == nil {
		t.Error("identity_app inserted an organisation without app.org_id")
	}
	// The login lookup is the one way across organisations, and it returns
	// the minimum.
	rows, err = conn.Query(ctx, `SELECT * FROM identity.login_lookup($1)`, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var columns []string
	for _, f := range rows.FieldDescriptions() {
		columns = append(columns, f.Name)
	}
	if want := []string{"user_id", "org_id", "password_hash", "status"}; !slices.Equal(columns, want) {
		t.Errorf("login_lookup returns %v, want only %v", columns, want)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if n != 1 {
		t.Errorf("login_lookup found %d rows", n)
	}
}
