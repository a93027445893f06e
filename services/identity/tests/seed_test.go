package tests

import (
	"net/http"
	"slices"
	"testing"

	"reos.dev/services/identity/internal/app"
)

func TestSeedIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()

	first, err := e.srv.Service.SeedDemo(ctx)
	if err != nil {
		t.Fatalf("first seed: %v", err)
	}
	// One line for the organisation, one per demo user.
	if !first.Changed || len(first.Lines) != 1+len(app.DemoUsers) {
		t.Errorf("first seed report = %+v", first)
	}
	second, err := e.srv.Service.SeedDemo(ctx)
	if err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if second.Changed {
		t.Errorf("second seed changed something: %v", second.Lines)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.users`); n != len(app.DemoUsers) {
		t.Errorf("users after two seeds = %d, want the %d demo users", n, len(app.DemoUsers))
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.outbox`); n != len(app.DemoUsers) {
		t.Errorf("events after two seeds = %d, want one user.registered per demo user", n)
	}

	for _, du := range app.DemoUsers {
		pair := e.login(du.Email, app.DemoPassword)
		r := e.call(http.MethodGet, "/api/v1/auth/me", pair.AccessToken, nil)
		expect(t, r, http.StatusOK, "me "+du.Email)
		me := decode[meJSON](t, r)
		if me.ID != du.ID || me.Organization.ID != app.DemoOrgID || me.Organization.Name != app.DemoOrgName || !slices.Equal(me.Roles, []string{du.Role}) {
			t.Errorf("%s: %+v", du.Email, me)
		}
	}
}
