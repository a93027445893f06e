package tests

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/identity/internal/domain"
)

// authorityOrg is an organisation with two full admins, a users:admin-only
// manager, a users:write-only editor and a plain reader, each logged in.
type authorityOrg struct {
	e                                    *env
	boss, deputy, manager, editor, plain userJSON
	// Access tokens by person.
	bossTok, deputyTok, managerTok, editorTok string
}

func newAuthorityOrg(t *testing.T) *authorityOrg {
	t.Helper()
	e := newEnv(t)
	o := &authorityOrg{e: e}
	o.boss = e.register("boss@auth.test", "Authority Co")
	o.bossTok = e.login("boss@auth.test", goodPassword).AccessToken
	for name, perms := range map[string][]string{
		"user-manager": {"users:admin", "users:read"},
		"user-editor":  {"users:read", "users:write"},
		"reader":       {"users:read"},
	} {
		expect(t, e.call(http.MethodPost, "/api/v1/roles", o.bossTok, map[string]any{"name": name, "permissions": perms}),
			http.StatusCreated, "create role "+name)
	}
	o.deputy = e.createUser(o.bossTok, "deputy@auth.test", "admin")
	o.manager = e.createUser(o.bossTok, "manager@auth.test", "user-manager")
	o.editor = e.createUser(o.bossTok, "editor@auth.test", "user-editor")
	o.plain = e.createUser(o.bossTok, "plain@auth.test", "reader")
	o.deputyTok = e.login("deputy@auth.test", goodPassword).AccessToken
	o.managerTok = e.login("manager@auth.test", goodPassword).AccessToken
	o.editorTok = e.login("editor@auth.test", goodPassword).AccessToken
	return o
}

// expectReason checks the status and the problem reason of an answer.
func expectReason(t *testing.T, r response, status int, reason, what string) {
	t.Helper()
	expect(t, r, status, what)
	if got := decode[problemJSON](t, r).reason(); got != reason {
		t.Errorf("%s: reason = %q, want %q (%s)", what, got, reason, r)
	}
}

// TestAdminActionsNeedTheTargetsPermissions: every admin action on another
// user (reset password, set roles, update, delete) is refused when the
// target holds a permission the caller lacks, and nothing changes.
func TestAdminActionsNeedTheTargetsPermissions(t *testing.T) {
	t.Parallel()
	o := newAuthorityOrg(t)
	e := o.e

	refused := []struct {
		name, method, path, token string
		body                      any
	}{
		{"users:admin resets an admin's password", http.MethodPost, "/api/v1/admin/users/" + o.boss.ID + "/reset-password", o.managerTok, nil},
		{"users:admin demotes an admin to a role it may grant", http.MethodPut, "/api/v1/admin/users/" + o.boss.ID + "/roles", o.managerTok, map[string]any{"roles": []string{"reader"}}},
		{"users:admin resets a users:write holder's password", http.MethodPost, "/api/v1/admin/users/" + o.editor.ID + "/reset-password", o.managerTok, nil},
		{"users:write deletes an admin", http.MethodDelete, "/api/v1/users/" + o.deputy.ID, o.editorTok, nil},
		{"users:write edits an admin's profile", http.MethodPut, "/api/v1/users/" + o.boss.ID, o.editorTok, map[string]any{"full_name": "Renamed"}},
		{"users:write deletes a users:admin holder", http.MethodDelete, "/api/v1/users/" + o.manager.ID, o.editorTok, nil},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			expectReason(t, e.call(tc.method, tc.path, tc.token, tc.body), http.StatusForbidden, domain.ReasonTargetOutranksCaller, tc.name)
		})
	}
	// Nothing happened: the passwords, roles, names and accounts are intact.
	e.login("boss@auth.test", goodPassword)
	e.login("editor@auth.test", goodPassword)
	e.login("deputy@auth.test", goodPassword)
	r := e.call(http.MethodGet, "/api/v1/users/"+o.boss.ID, o.bossTok, nil)
	expect(t, r, http.StatusOK, "boss")
	if u := decode[userJSON](t, r); !slices.Equal(u.Roles, []string{"admin"}) || u.FullName != o.boss.FullName {
		t.Errorf("boss after refused actions = %+v", u)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.outbox WHERE payload->>'type' IN
		('reos.identity.password.changed', 'reos.identity.user.roles_changed', 'reos.identity.user.deleted', 'reos.identity.user.updated')`); n != 0 {
		t.Errorf("refused actions left %d events", n)
	}

	// Within its reach the same callers succeed: the rule compares
	// permissions, it does not forbid the routes.
	expect(t, e.call(http.MethodPost, "/api/v1/admin/users/"+o.plain.ID+"/reset-password", o.managerTok, nil), http.StatusOK, "users:admin resets a reader")
	expect(t, e.call(http.MethodPut, "/api/v1/users/"+o.plain.ID, o.editorTok, map[string]any{"title": "Clerk"}), http.StatusOK, "users:write edits a reader")
	expect(t, e.call(http.MethodDelete, "/api/v1/users/"+o.plain.ID, o.editorTok, nil), http.StatusNoContent, "users:write deletes a reader")
}

// TestFullAdminActsOnAdmins: a full admin may do all four to another admin.
func TestFullAdminActsOnAdmins(t *testing.T) {
	t.Parallel()
	o := newAuthorityOrg(t)
	e := o.e
	expect(t, e.call(http.MethodPut, "/api/v1/users/"+o.deputy.ID, o.bossTok, map[string]any{"title": "Deputy"}), http.StatusOK, "update an admin")
	r := e.call(http.MethodPost, "/api/v1/admin/users/"+o.deputy.ID+"/reset-password", o.bossTok, nil)
	expect(t, r, http.StatusOK, "reset an admin's password")
	temp := decode[struct {
		TemporaryPassword string `json:"temporary_password"`
	}](t, r).TemporaryPassword
	e.login("deputy@auth.test", temp)
	r = e.call(http.MethodPut, "/api/v1/admin/users/"+o.deputy.ID+"/roles", o.bossTok, map[string]any{"roles": []string{"reader"}})
	expect(t, r, http.StatusOK, "demote an admin")
	if u := decode[userJSON](t, r); !slices.Equal(u.Roles, []string{"reader"}) {
		t.Errorf("demoted roles = %v", u.Roles)
	}
	expect(t, e.call(http.MethodPut, "/api/v1/admin/users/"+o.deputy.ID+"/roles", o.bossTok, map[string]any{"roles": []string{"admin"}}), http.StatusOK, "promote back")
	expect(t, e.call(http.MethodDelete, "/api/v1/users/"+o.deputy.ID, o.bossTok, nil), http.StatusNoContent, "delete an admin")
}

// TestActingOnYourself records the decisions for one's own account: the
// profile is yours to edit, your password changes only through
// /auth/password (which asks for the current one), and you cannot delete
// yourself.
func TestActingOnYourself(t *testing.T) {
	t.Parallel()
	o := newAuthorityOrg(t)
	e := o.e
	plainTok := e.login("plain@auth.test", goodPassword).AccessToken
	expect(t, e.call(http.MethodPut, "/api/v1/users/"+o.plain.ID, plainTok, map[string]any{"title": "Me"}), http.StatusOK, "own profile without users:write")
	expect(t, e.call(http.MethodPut, "/api/v1/users/"+o.manager.ID, o.managerTok, map[string]any{"title": "Me"}), http.StatusOK, "own profile")
	expectReason(t, e.call(http.MethodPost, "/api/v1/admin/users/"+o.manager.ID+"/reset-password", o.managerTok, nil),
		http.StatusUnprocessableEntity, domain.ReasonCannotResetOwnPassword, "reset your own password")
	expectReason(t, e.call(http.MethodPost, "/api/v1/admin/users/"+o.boss.ID+"/reset-password", o.bossTok, nil),
		http.StatusUnprocessableEntity, domain.ReasonCannotResetOwnPassword, "an admin resets its own password")
	expectReason(t, e.call(http.MethodPost, "/api/v1/admin/users/"+strings.ToUpper(o.manager.ID)+"/reset-password", o.managerTok, nil),
		http.StatusUnprocessableEntity, domain.ReasonCannotResetOwnPassword, "your own id in upper case")
	expectReason(t, e.call(http.MethodDelete, "/api/v1/users/"+o.editor.ID, o.editorTok, nil),
		http.StatusUnprocessableEntity, domain.ReasonCannotDeleteSelf, "delete yourself")
	e.login("manager@auth.test", goodPassword)
}

// TestLastAdminIsKept: the organisation always keeps one holder of "*",
// whichever role grants it and whichever path would take it away.
func TestLastAdminIsKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boss := e.register("last@admin.test", "Last Admin Co")
	bossTok := e.login("last@admin.test", goodPassword).AccessToken

	// Alone: demoting yourself is refused.
	expectReason(t, e.call(http.MethodPut, "/api/v1/admin/users/"+boss.ID+"/roles", bossTok, map[string]any{"roles": []string{"viewer"}}),
		http.StatusConflict, domain.ReasonLastAdmin, "demote the only admin")

	// A custom role holding "*" makes its holder an admin too.
	r := e.call(http.MethodPost, "/api/v1/roles", bossTok, map[string]any{"name": "root", "permissions": []string{"*"}})
	expect(t, r, http.StatusCreated, "create root")
	root := decode[struct{ ID string }](t, r)
	heir := e.createUser(bossTok, "heir@admin.test", "root")
	heirTok := e.login("heir@admin.test", goodPassword).AccessToken
	// So the system admin may step down: "*" stays held.
	expect(t, e.call(http.MethodPut, "/api/v1/admin/users/"+boss.ID+"/roles", bossTok, map[string]any{"roles": []string{"viewer"}}),
		http.StatusOK, "the system admin steps down while root holds *")

	// Now the heir is the last holder of "*": it can neither demote itself
	// nor strip "*" from its role, nor delete itself.
	expectReason(t, e.call(http.MethodPut, "/api/v1/admin/users/"+heir.ID+"/roles", heirTok, map[string]any{"roles": []string{"viewer"}}),
		http.StatusConflict, domain.ReasonLastAdmin, "demote the last holder of *")
	expectReason(t, e.call(http.MethodPut, "/api/v1/roles/"+root.ID, heirTok, map[string]any{"name": "root", "permissions": []string{"users:read"}}),
		http.StatusConflict, domain.ReasonLastAdmin, "strip * from the last admins' role")
	expectReason(t, e.call(http.MethodDelete, "/api/v1/users/"+heir.ID, heirTok, nil),
		http.StatusUnprocessableEntity, domain.ReasonCannotDeleteSelf, "delete yourself")

	// A caller whose token still says "*" but who no longer holds it (a
	// token minted before its demotion) cannot delete or demote the last
	// admin either: the rule reads the database, not the token.
	svc := e.srv.Service
	stale := auth.WithPrincipal(context.Background(), auth.Principal{UserID: boss.ID, OrgID: boss.OrgID, Perms: []string{"*"}})
	if err := svc.DeleteUser(stale, heir.ID); !isReason(err, domain.ReasonLastAdmin) {
		t.Errorf("delete the last admin with a stale token: %v, want %s", err, domain.ReasonLastAdmin)
	}
	if _, err := svc.SetUserRoles(stale, heir.ID, []string{"viewer"}); !isReason(err, domain.ReasonLastAdmin) {
		t.Errorf("demote the last admin with a stale token: %v, want %s", err, domain.ReasonLastAdmin)
	}
	r = e.call(http.MethodGet, "/api/v1/auth/me", e.login("heir@admin.test", goodPassword).AccessToken, nil)
	if me := decode[meJSON](t, r); !slices.Equal(me.Permissions, []string{"*"}) {
		t.Errorf("the last admin's permissions = %v", me.Permissions)
	}
}

func isReason(err error, reason string) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Reason == reason
}
