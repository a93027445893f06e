package tests

import (
	"net/http"
	"slices"
	"testing"

	"reos.dev/pkg/testkit"
)

func TestTeams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("lead@team.test", "Team Co")
	tok := e.login("lead@team.test", goodPassword).AccessToken
	member := e.createUser(tok, "m@team.test", "agent")

	type team struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		MemberCount int    `json:"member_count"`
		Members     []struct {
			UserID string `json:"user_id"`
		} `json:"members"`
	}
	r := e.call(http.MethodPost, "/api/v1/teams", tok, map[string]string{"name": "North Office", "description": "Up north"})
	expect(t, r, http.StatusCreated, "create team")
	north := decode[team](t, r)
	expect(t, e.call(http.MethodPost, "/api/v1/teams", tok, map[string]string{"name": "north office"}), http.StatusConflict, "duplicate name, other case")
	expect(t, e.call(http.MethodPost, "/api/v1/teams", tok, map[string]string{"name": " "}), http.StatusUnprocessableEntity, "blank name")

	r = e.call(http.MethodPost, "/api/v1/teams/"+north.ID+"/members", tok, map[string]string{"user_id": member.ID})
	expect(t, r, http.StatusOK, "add member")
	if got := decode[team](t, r); got.MemberCount != 1 || len(got.Members) != 1 || got.Members[0].UserID != member.ID {
		t.Errorf("after add: %+v", got)
	}
	expect(t, e.call(http.MethodPost, "/api/v1/teams/"+north.ID+"/members", tok, map[string]string{"user_id": member.ID}), http.StatusConflict, "add twice")
	expect(t, e.call(http.MethodPost, "/api/v1/teams/"+north.ID+"/members", tok, map[string]string{"user_id": "bad"}), http.StatusBadRequest, "bad user id")
	// An id in a body names a row of the caller's org or it is refused,
	// naming the field: another org's user and an id of nobody alike.
	stranger := e.register("stranger@elsewhere.test", "Elsewhere Co")
	for what, id := range map[string]string{"another org's user": stranger.ID, "nobody": "01900000-0000-7000-8000-00000000dead"} {
		testkit.ExpectField(t, e.call(http.MethodPost, "/api/v1/teams/"+north.ID+"/members", tok, map[string]string{"user_id": id}),
			http.StatusUnprocessableEntity, "user_id", "add "+what)
	}

	r = e.call(http.MethodPut, "/api/v1/teams/"+north.ID, tok, map[string]string{"name": "North", "description": ""})
	expect(t, r, http.StatusOK, "rename")
	if got := decode[team](t, r); got.Name != "North" || got.MemberCount != 1 {
		t.Errorf("after rename: %+v", got)
	}
	r = e.call(http.MethodGet, "/api/v1/teams", tok, nil)
	if items := decode[struct{ Items []team }](t, r).Items; len(items) != 1 || items[0].MemberCount != 1 {
		t.Errorf("list = %+v", items)
	}

	expect(t, e.call(http.MethodDelete, "/api/v1/teams/"+north.ID+"/members/"+member.ID, tok, nil), http.StatusNoContent, "remove member")
	expect(t, e.call(http.MethodDelete, "/api/v1/teams/"+north.ID+"/members/"+member.ID, tok, nil), http.StatusNotFound, "remove again")
	expect(t, e.call(http.MethodDelete, "/api/v1/teams/"+north.ID, tok, nil), http.StatusNoContent, "delete team")
	expect(t, e.call(http.MethodGet, "/api/v1/teams/"+north.ID, tok, nil), http.StatusNotFound, "get deleted team")
}

func TestRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("r@roles.test", "Roles Co")
	tok := e.login("r@roles.test", goodPassword).AccessToken
	type role struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Permissions []string `json:"permissions"`
		System      bool     `json:"system"`
	}

	r := e.call(http.MethodGet, "/api/v1/permissions", tok, nil)
	expect(t, r, http.StatusOK, "catalogue")
	var names []string
	for _, p := range decode[struct{ Items []struct{ Name string } }](t, r).Items {
		names = append(names, p.Name)
	}
	for _, want := range []string{"users:read", "campaigns:launch", "admin:*", "tasks:write"} {
		if !slices.Contains(names, want) {
			t.Errorf("catalogue lacks %s: %v", want, names)
		}
	}

	r = e.call(http.MethodPost, "/api/v1/roles", tok, map[string]any{"name": "Closer", "permissions": []string{"deals:write", "deals:read", "deals:read", "leads:*"}})
	expect(t, r, http.StatusCreated, "create role")
	closer := decode[role](t, r)
	if closer.Name != "closer" || !slices.Equal(closer.Permissions, []string{"deals:read", "deals:write", "leads:*"}) || closer.System {
		t.Errorf("created %+v", closer)
	}
	r = e.call(http.MethodPost, "/api/v1/roles", tok, map[string]any{"name": "bad", "permissions": []string{"deals:read", "rockets:launch"}})
	expect(t, r, http.StatusUnprocessableEntity, "unknown permission")
	if !decode[problemJSON](t, r).hasField("permissions[1]") {
		t.Errorf("problem = %s", r)
	}
	expect(t, e.call(http.MethodPost, "/api/v1/roles", tok, map[string]any{"name": "closer", "permissions": []string{}}), http.StatusConflict, "duplicate role")

	// Assign it, then it cannot be deleted until unassigned.
	u := e.createUser(tok, "c@roles.test", "closer")
	pair := e.login("c@roles.test", goodPassword)
	r = e.call(http.MethodGet, "/api/v1/auth/me", pair.AccessToken, nil)
	if me := decode[meJSON](t, r); !slices.Equal(me.Permissions, []string{"deals:read", "deals:write", "leads:*"}) {
		t.Errorf("closer's permissions = %v", me.Permissions)
	}
	expect(t, e.call(http.MethodDelete, "/api/v1/roles/"+closer.ID, tok, nil), http.StatusConflict, "delete assigned role")

	// Narrowing a role ends its holders' sessions (sessions_test.go);
	// signing in again gives the narrowed permissions.
	expect(t, e.call(http.MethodPut, "/api/v1/roles/"+closer.ID, tok, map[string]any{"name": "closer", "permissions": []string{"deals:read"}}), http.StatusOK, "narrow role")
	expect(t, e.call(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": pair.RefreshToken}),
		http.StatusUnauthorized, "refresh after the role was narrowed")
	r = e.call(http.MethodGet, "/api/v1/auth/me", e.login("c@roles.test", goodPassword).AccessToken, nil)
	if me := decode[meJSON](t, r); !slices.Equal(me.Permissions, []string{"deals:read"}) {
		t.Errorf("after narrowing: %v", me.Permissions)
	}

	expect(t, e.call(http.MethodPut, "/api/v1/admin/users/"+u.ID+"/roles", tok, map[string]any{"roles": []string{"viewer"}}), http.StatusOK, "reassign")
	expect(t, e.call(http.MethodDelete, "/api/v1/roles/"+closer.ID, tok, nil), http.StatusNoContent, "delete unassigned role")

	// System roles: names fixed, not deletable, admin keeps "*".
	r = e.call(http.MethodGet, "/api/v1/roles", tok, nil)
	var admin, agent role
	for _, ro := range decode[struct{ Items []role }](t, r).Items {
		switch ro.Name {
		case "admin":
			admin = ro
		case "agent":
			agent = ro
		}
	}
	r = e.call(http.MethodPut, "/api/v1/roles/"+agent.ID, tok, map[string]any{"name": "field-agent", "permissions": agent.Permissions})
	expect(t, r, http.StatusUnprocessableEntity, "rename system role")
	if !decode[problemJSON](t, r).hasField("name") {
		t.Errorf("problem = %s", r)
	}
	expect(t, e.call(http.MethodPut, "/api/v1/roles/"+agent.ID, tok, map[string]any{"name": "agent", "permissions": []string{"leads:read"}}), http.StatusOK, "edit system role permissions")
	expect(t, e.call(http.MethodPut, "/api/v1/roles/"+admin.ID, tok, map[string]any{"name": "admin", "permissions": []string{"users:read"}}), http.StatusUnprocessableEntity, "strip admin")
	expect(t, e.call(http.MethodDelete, "/api/v1/roles/"+admin.ID, tok, nil), http.StatusConflict, "delete system role")
}
