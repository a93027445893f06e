package tests

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/domain"
)

func TestAdminUserLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boss := e.register("boss@adm.test", "Admin Co")
	tok := e.login("boss@adm.test", goodPassword).AccessToken

	sales := e.createUser(tok, "Sales@Adm.test", "sales")
	agent := e.createUser(tok, "agent@adm.test", "agent", "viewer")
	if sales.Email != "sales@adm.test" || !slices.Equal(agent.Roles, []string{"agent", "viewer"}) || sales.OrgID != boss.OrgID {
		t.Fatalf("created %+v / %+v", sales, agent)
	}
	r := e.call(http.MethodPost, "/api/v1/admin/users", tok, map[string]any{
		"email": "x@adm.test", "password": goodPassword, "full_name": "X", "roles": []string{"nope"},
	})
	expect(t, r, http.StatusUnprocessableEntity, "unknown role")
	if !decode[problemJSON](t, r).hasField("roles") {
		t.Errorf("problem = %s", r)
	}
	r = e.call(http.MethodPost, "/api/v1/admin/users", tok, map[string]any{
		"email": "boss@adm.test", "password": goodPassword, "full_name": "Dup", "roles": []string{"viewer"},
	})
	expect(t, r, http.StatusConflict, "duplicate email")

	// Lists: filters, sort and cursor pagination.
	list := func(path string) ([]userJSON, *string) {
		t.Helper()
		r := e.call(http.MethodGet, path, tok, nil)
		expect(t, r, http.StatusOK, path)
		l := decode[struct {
			Items      []userJSON `json:"items"`
			NextCursor *string    `json:"next_cursor"`
		}](t, r)
		return l.Items, l.NextCursor
	}
	emails := func(us []userJSON) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Email)
		}
		return out
	}
	if got, _ := list("/api/v1/users?sort=email"); !slices.Equal(emails(got), []string{"agent@adm.test", "boss@adm.test", "sales@adm.test"}) {
		t.Errorf("sort=email: %v", emails(got))
	}
	if got, _ := list("/api/v1/users?sort=-email&role=agent"); !slices.Equal(emails(got), []string{"agent@adm.test"}) {
		t.Errorf("role=agent: %v", emails(got))
	}
	if got, _ := list("/api/v1/users?q=" + url.QueryEscape("SALES")); !slices.Equal(emails(got), []string{"sales@adm.test"}) {
		t.Errorf("q=SALES: %v", emails(got))
	}
	if got, _ := list("/api/v1/users?q=" + url.QueryEscape("%")); len(got) != 0 {
		t.Errorf("q=%% must be a literal: %v", emails(got))
	}
	var paged []string
	path := "/api/v1/users?limit=1&sort=-created_at"
	for range 10 {
		items, next := list(path)
		paged = append(paged, emails(items)...)
		if next == nil {
			break
		}
		path = "/api/v1/users?limit=1&sort=-created_at&cursor=" + url.QueryEscape(*next)
	}
	if !slices.Equal(paged, []string{"agent@adm.test", "sales@adm.test", "boss@adm.test"}) {
		t.Errorf("paged = %v", paged)
	}
	for _, bad := range []string{"?sort=password_hash", "?limit=0", "?limit=500", "?cursor=!!!", "?cursor=eyJ2IjoieCIsImlkIjoieSJ9", "?status=weird"} {
		expect(t, e.call(http.MethodGet, "/api/v1/users"+bad, tok, nil), http.StatusBadRequest, "list "+bad)
	}

	// Roles: replace, validate, never leave the org without an admin.
	r = e.call(http.MethodPut, "/api/v1/admin/users/"+sales.ID+"/roles", tok, map[string]any{"roles": []string{"agent", "sales"}})
	expect(t, r, http.StatusOK, "set roles")
	if u := decode[userJSON](t, r); !slices.Equal(u.Roles, []string{"agent", "sales"}) {
		t.Errorf("roles = %v", u.Roles)
	}
	expect(t, e.call(http.MethodPut, "/api/v1/admin/users/"+boss.ID+"/roles", tok, map[string]any{"roles": []string{"viewer"}}),
		http.StatusConflict, "demote the last admin")
	expect(t, e.call(http.MethodPut, "/api/v1/admin/users/"+sales.ID+"/roles", tok, map[string]any{"roles": []string{}}),
		http.StatusUnprocessableEntity, "no roles")
	if n := scalar[int](e, `SELECT count(*) FROM identity.outbox WHERE payload->>'type' = 'reos.identity.user.roles_changed'`); n != 1 {
		t.Errorf("roles_changed events = %d", n)
	}

	// Delete: not yourself, soft, revokes the user's sessions.
	r = e.call(http.MethodDelete, "/api/v1/users/"+boss.ID, tok, nil)
	expect(t, r, http.StatusUnprocessableEntity, "delete yourself")
	agentPair := e.login("agent@adm.test", goodPassword)
	expect(t, e.call(http.MethodDelete, "/api/v1/users/"+agent.ID, tok, nil), http.StatusNoContent, "delete agent")
	expect(t, e.call(http.MethodGet, "/api/v1/users/"+agent.ID, tok, nil), http.StatusNotFound, "get deleted")
	expect(t, e.call(http.MethodDelete, "/api/v1/users/"+agent.ID, tok, nil), http.StatusNotFound, "delete twice")
	expect(t, e.call(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": agentPair.RefreshToken}),
		http.StatusUnauthorized, "refresh of a deleted user")
	expect(t, e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "agent@adm.test", "password": goodPassword}),
		http.StatusUnauthorized, "login of a deleted user")
	if got, _ := list("/api/v1/users"); slices.Contains(emails(got), "agent@adm.test") {
		t.Errorf("deleted user listed: %v", emails(got))
	}
	adminList, _ := list("/api/v1/admin/users?status=deleted")
	if len(adminList) != 1 || adminList[0].Email != "agent@adm.test" || adminList[0].DeletedAt == nil || adminList[0].Status != "deleted" {
		t.Errorf("admin list of deleted = %+v", adminList)
	}

	// Reset password: a one-time password in mock mode, sessions revoked.
	salesPair := e.login("sales@adm.test", goodPassword)
	r = e.call(http.MethodPost, "/api/v1/admin/users/"+sales.ID+"/reset-password", tok, nil)
	expect(t, r, http.StatusOK, "reset password")
	temp := decode[struct {
		TemporaryPassword string `json:"temporary_password"`
	}](t, r).TemporaryPassword
	if len(temp) < 12 {
		t.Fatalf("temporary password %q", temp)
	}
	expect(t, e.call(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": salesPair.RefreshToken}),
		http.StatusUnauthorized, "refresh after reset")
	e.login("sales@adm.test", temp)

	// The admin list shows lockouts.
	for range 5 {
		e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "sales@adm.test", "password": "wrong wrong wrong"})
	}
	locked, _ := list("/api/v1/admin/users?status=locked")
	if len(locked) != 1 || locked[0].Email != "sales@adm.test" || !locked[0].Locked || locked[0].LockedUntil == nil {
		t.Errorf("locked users = %+v", locked)
	}
	e.clock.Advance(2 * time.Minute)
	if locked, _ := list("/api/v1/admin/users?status=locked"); len(locked) != 0 {
		t.Errorf("still locked after the lock expired: %+v", locked)
	}
}

// TestAppLayerChecksPermissions calls the service directly, bypassing the
// HTTP permission middleware: the app layer must refuse on its own.
func TestAppLayerChecksPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.register("own@app.test", "App Co")
	svc := e.srv.Service
	viewer := auth.WithPrincipal(t.Context(), auth.Principal{UserID: "01900000-0000-7000-8000-0000000000ff", OrgID: owner.OrgID, Perms: []string{"users:read"}})

	checks := []struct {
		name string
		call func() error
	}{
		{"delete user", func() error { return svc.DeleteUser(viewer, owner.ID) }},
		{"admin list", func() error { _, err := svc.AdminListUsers(viewer, app.UserQuery{}); return err }},
		{"set roles", func() error { _, err := svc.SetUserRoles(viewer, owner.ID, []string{"viewer"}); return err }},
		{"reset password", func() error { _, err := svc.ResetPassword(viewer, owner.ID); return err }},
		{"create team", func() error { _, err := svc.CreateTeam(viewer, domain.TeamInput{Name: "x"}); return err }},
		{"create role", func() error {
			_, err := svc.CreateRole(viewer, domain.RoleInput{Name: "x", Permissions: []string{}})
			return err
		}},
		{"update other user", func() error { _, err := svc.UpdateUser(viewer, owner.ID, domain.ProfileUpdate{}); return err }},
		{"update nobody", func() error { _, err := svc.UpdateUser(viewer, uuid.NewString(), domain.ProfileUpdate{}); return err }},
	}
	for _, c := range checks {
		if err := c.call(); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("%s: err = %v, want forbidden", c.name, err)
		}
	}
	if _, err := svc.ListUsers(t.Context(), app.UserQuery{}); !errors.Is(err, apperr.ErrUnauthorized) {
		t.Errorf("no principal: err = %v, want unauthorized", err)
	}
	// A role may not grant what its creator lacks.
	limited := auth.WithPrincipal(t.Context(), auth.Principal{UserID: owner.ID, OrgID: owner.OrgID, Perms: []string{"roles:write", "leads:read"}})
	if _, err := svc.CreateRole(limited, domain.RoleInput{Name: "escalate", Permissions: []string{"*"}}); !errors.Is(err, apperr.ErrForbidden) {
		t.Errorf("escalating role: err = %v, want forbidden", err)
	}
	if _, err := svc.CreateRole(limited, domain.RoleInput{Name: "reader", Permissions: []string{"leads:read"}}); err != nil {
		t.Errorf("role within own permissions: %v", err)
	}
}
