package tests

import (
	"net/http"
	"strings"
	"testing"

	"reos.dev/pkg/routes"
	"reos.dev/pkg/testkit"
	transport "reos.dev/services/identity/internal/transport/http"
)

// TestRoutes runs the generated route tests (testkit.RouteTests) over the
// whole route table and the real wiring: every non-public route is 401
// without a token, every write with a permission of its own is 403 for a
// viewer whatever id it names, and every route naming a user, team or role
// is 404 for another organisation's admin and for an id that names nothing.
func TestRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("owner@routes.test", "Routes Co")
	e.register("intruder@intruder.test", "Intruder Co")
	owner := e.login("owner@routes.test", goodPassword).AccessToken
	intruder := e.login("intruder@intruder.test", goodPassword).AccessToken
	viewer := e.createUser(owner, "viewer@routes.test", "viewer")
	viewerTok := e.login("viewer@routes.test", goodPassword).AccessToken
	r := e.call(http.MethodGet, "/api/v1/auth/me", viewerTok, nil)
	expect(t, r, http.StatusOK, "viewer's permissions")
	viewerPerms := decode[meJSON](t, r).Permissions

	// The rows the owned variables name: a user other than the owner (whom
	// a delete or a reset of one's own would refuse), a team that user is a
	// member of, and a custom role (system roles cannot be renamed).
	target := e.createUser(owner, "target@routes.test", "agent")
	r = e.call(http.MethodPost, "/api/v1/teams", owner, map[string]string{"name": "Routes team"})
	expect(t, r, http.StatusCreated, "create team")
	team := decode[struct{ ID string }](t, r).ID
	expect(t, e.call(http.MethodPost, "/api/v1/teams/"+team+"/members", owner, map[string]string{"user_id": target.ID}),
		http.StatusOK, "add the target to the team")
	r = e.call(http.MethodPost, "/api/v1/roles", owner, map[string]any{"name": "route-role", "permissions": []string{"leads:read"}})
	expect(t, r, http.StatusCreated, "create role")
	role := decode[struct{ ID string }](t, r).ID

	f := testkit.RouteFixture{
		Router: e.srv.Router, Client: e.client, Routes: e.srv.Routes,
		OwnerToken: owner, IntruderToken: intruder,
		ViewerToken: viewerTok, ViewerPerms: viewerPerms,
		IDs: map[string]string{transport.KindUser: target.ID, transport.KindTeam: team, transport.KindRole: role},
		Bodies: map[string]any{
			"PUT /api/v1/users/{id}":                       map[string]string{"full_name": "Renamed"},
			"DELETE /api/v1/users/{id}":                    nil,
			"PUT /api/v1/admin/users/{id}/roles":           map[string]any{"roles": []string{"sales"}},
			"POST /api/v1/admin/users/{id}/reset-password": nil,
			"PUT /api/v1/teams/{id}":                       map[string]string{"name": "Renamed team"},
			"DELETE /api/v1/teams/{id}":                    nil,
			"POST /api/v1/teams/{id}/members":              map[string]string{"user_id": viewer.ID},
			"DELETE /api/v1/teams/{id}/members/{user_id}":  nil,
			"PUT /api/v1/roles/{id}":                       map[string]any{"name": "route-role", "permissions": []string{"leads:read", "deals:read"}},
			"DELETE /api/v1/roles/{id}":                    nil,
		},
	}
	testkit.RouteTests(t, f)

	// The 404s above mean something only if each body succeeds for the
	// owner: every write on an owned row, the deletes last (in reverse, so
	// a team's member goes before the team and the team before its user).
	var writes, deletes []routes.Route
	for _, rt := range f.Routes {
		switch {
		case len(rt.Owned) == 0 || !rt.Write():
		case rt.Method == http.MethodDelete:
			deletes = append([]routes.Route{rt}, deletes...)
		default:
			writes = append(writes, rt)
		}
	}
	for _, rt := range append(writes, deletes...) {
		path := rt.Path
		for v, kind := range rt.Owned {
			path = strings.ReplaceAll(path, "{"+v+"}", f.IDs[kind])
		}
		if r := e.call(rt.Method, path, owner, f.Bodies[rt.Key()]); r.Status >= 300 {
			t.Errorf("%s as the owner: %s; the fixture's body must succeed", rt.Key(), r)
		}
	}
}
