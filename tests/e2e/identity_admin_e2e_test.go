package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// expectReason checks an answer's status and problem reason.
func expectReason(t *testing.T, r response, status int, reason, what string) {
	t.Helper()
	var p struct{ Type string }
	_ = json.Unmarshal(r.Body, &p)
	if r.Status != status || !strings.HasSuffix(p.Type, "/"+reason) {
		t.Fatalf("%s: got %d %s, want %d %s", what, r.Status, r.Body, status, reason)
	}
}

// identityAdminScenarios (issue 9, defects 1 and 2), through nginx and the
// gateway: an admin action on another user needs every permission that user
// holds, so users:admin cannot take an admin's account over by resetting its
// password nor demote it, and users:write cannot delete an admin; a full
// admin can do all of it; the last admin stays.
func identityAdminScenarios(t *testing.T, s *Stack) {
	api := s.API()
	boss := newOrg(t, s, "authority")
	for name, perms := range map[string][]string{
		"user-manager": {"users:admin", "users:read"},
		"user-editor":  {"users:read", "users:write"},
		"reader":       {"users:read"},
	} {
		expectStatus(t, do(t, http.MethodPost, api+"/roles", boss.Pair.AccessToken, map[string]any{"name": name, "permissions": perms}),
			http.StatusCreated, "create role "+name)
	}
	deputy := addUser(t, s, boss, "deputy", "admin")
	manager := addUser(t, s, boss, "manager", "user-manager")
	editor := addUser(t, s, boss, "editor", "user-editor")

	t.Run("users:admin cannot reset an admin's password", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/admin/users/"+boss.ID+"/reset-password", manager.Pair.AccessToken, nil)
		expectReason(t, r, http.StatusForbidden, "target_outranks_caller", "reset the admin's password")
		if strings.Contains(string(r.Body), "temporary_password") {
			t.Fatalf("a temporary password leaked: %s", r.Body)
		}
		signIn(t, s, boss.Email, e2ePassword) // the admin's password is unchanged
	})
	t.Run("users:admin cannot demote an admin", func(t *testing.T) {
		expectReason(t, do(t, http.MethodPut, api+"/admin/users/"+boss.ID+"/roles", manager.Pair.AccessToken, map[string]any{"roles": []string{"reader"}}),
			http.StatusForbidden, "target_outranks_caller", "demote the admin")
	})
	t.Run("users:write cannot delete or edit an admin", func(t *testing.T) {
		expectReason(t, do(t, http.MethodDelete, api+"/users/"+deputy.ID, editor.Pair.AccessToken, nil),
			http.StatusForbidden, "target_outranks_caller", "delete an admin")
		expectReason(t, do(t, http.MethodPut, api+"/users/"+deputy.ID, editor.Pair.AccessToken, map[string]any{"full_name": "Gone"}),
			http.StatusForbidden, "target_outranks_caller", "edit an admin")
		expectStatus(t, do(t, http.MethodGet, api+"/users/"+deputy.ID, boss.Pair.AccessToken, nil), http.StatusOK, "the admin is still there")
	})
	t.Run("a full admin resets, demotes and deletes another admin", func(t *testing.T) {
		r := do(t, http.MethodPost, api+"/admin/users/"+deputy.ID+"/reset-password", boss.Pair.AccessToken, nil)
		expectStatus(t, r, http.StatusOK, "reset the deputy's password")
		var reset struct {
			TemporaryPassword string `json:"temporary_password"`
		}
		r.json(t, &reset)
		signIn(t, s, deputy.Email, reset.TemporaryPassword)
		expectStatus(t, do(t, http.MethodPut, api+"/admin/users/"+deputy.ID+"/roles", boss.Pair.AccessToken, map[string]any{"roles": []string{"reader"}}),
			http.StatusOK, "demote the deputy")
		expectStatus(t, do(t, http.MethodDelete, api+"/users/"+deputy.ID, boss.Pair.AccessToken, nil), http.StatusNoContent, "delete the deputy")
	})
	t.Run("the last admin can be neither demoted nor deleted", func(t *testing.T) {
		expectReason(t, do(t, http.MethodPut, api+"/admin/users/"+boss.ID+"/roles", boss.Pair.AccessToken, map[string]any{"roles": []string{"reader"}}),
			http.StatusConflict, "last_admin", "demote the last admin")
		expectReason(t, do(t, http.MethodDelete, api+"/users/"+boss.ID, boss.Pair.AccessToken, nil),
			http.StatusUnprocessableEntity, "cannot_delete_self", "the last admin deletes itself")
		expectReason(t, do(t, http.MethodPost, api+"/admin/users/"+boss.ID+"/reset-password", boss.Pair.AccessToken, nil),
			http.StatusUnprocessableEntity, "cannot_reset_own_password", "reset your own password")
		expectStatus(t, do(t, http.MethodGet, api+"/users/"+boss.ID, boss.Pair.AccessToken, nil), http.StatusOK, "the last admin is still there")
	})
}
