package tests

import (
	"net/http"
	"testing"
	"time"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
	"reos.dev/services/identity"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/server"
)

// TestMigratedByANonSuperuserOwner: production migrates as a database owner
// that is not a superuser, which FORCE ROW LEVEL SECURITY binds too. The
// SECURITY DEFINER functions that must see across tenants (login_lookup,
// organization_ids_after, the prune functions) then rely on the owner-only
// policies the migrations add; the other tests migrate as the superuser,
// which bypasses RLS and would hide a missing policy.
func TestMigratedByANonSuperuserOwner(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := testkit.NewDatabase(t)
	db.MigrateSchemaAsOwner(t, identity.Root.Database())
	admin := db.Pool(t, "")
	q := func(sql string) {
		t.Helper()
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	tokens := testkit.NewTokens(t)
	keys, err := auth.NewKeySet(tokens.Signer)
	if err != nil {
		t.Fatal(err)
	}
	pool := db.Pool(t, "identity_app")
	rdb, prefix := testkit.Redis(t)
	revocations := startRevocations(t, rdb, prefix)
	srv, err := server.New(server.Options{Pool: pool, Keys: keys, Issuer: testIssuer, Audience: testAudience,
		Mode: "mock", Logger: logging.Discard(), Clock: testkit.NewClock(), Revocations: revocations})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, admin: admin, srv: srv, client: testkit.NewClient(t, srv.Handler)}

	// login_lookup finds the user across tenants.
	e.register("owner@example.com", "Owned")
	pair := e.login("owner@example.com", goodPassword)
	r := e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "owner@example.com", "password": "wrong password here"})
	expect(t, r, http.StatusUnauthorized, "wrong password")

	// organization_ids_after lists the organisation for republish.
	rep, err := server.Republisher(pool)
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := rep.Orgs(ctx, "", 10)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("republish lists organisations %v, %v; want one", orgs, err)
	}

	// ended_sessions lists the sessions that ended, for the session sync.
	expect(t, e.call(http.MethodPost, "/api/v1/auth/logout", "", map[string]string{"refresh_token": pair.RefreshToken}), http.StatusNoContent, "logout")
	sync, err := server.SessionSync(pool, revocations, 0, 0, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sync.Sync(ctx); err != nil || n != 1 {
		t.Fatalf("session sync as the service role: %d, %v; want the 1 ended session", n, err)
	}

	// The prune functions see and delete every organisation's old attempts.
	q("UPDATE identity.login_attempts SET created_at = now() - interval '200 days'")
	ret, err := server.Retention(pool, app.RetentionConfig{AttemptRetention: 90 * 24 * time.Hour, RefreshRetention: 30 * 24 * time.Hour}, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ret.Prune(ctx)
	if err != nil || got.Attempts != 2 {
		t.Fatalf("prune as the service role: %+v, %v; want the 2 attempts", got, err)
	}
}
