package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

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
		// The deletes run last, in reverse: the team's member before the
		// team, the team before its user.
		OwnerWritesSucceed: true,
		OwnerToken:         owner, IntruderToken: intruder,
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
}

// TestEditingAnotherProfileIsForbiddenWhateverTheID: PUT /users/{id} is
// self-service, so the table cannot gate it; the app applies the order of
// checks itself. A caller without users:write naming anyone but itself
// gets 403 whether the id is a colleague's, another organisation's user's
// or nobody's — the answer tells nothing about existence — and its own id
// in any spelling is its own profile.
func TestEditingAnotherProfileIsForbiddenWhateverTheID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("own@profile.test", "Profile Co")
	stranger := e.register("stranger@elsewhere.test", "Elsewhere Co")
	owner := e.login("own@profile.test", goodPassword).AccessToken
	colleague := e.createUser(owner, "colleague@profile.test", "agent")
	viewer := e.createUser(owner, "viewer@profile.test", "viewer")
	viewerTok := e.login("viewer@profile.test", goodPassword).AccessToken

	body := map[string]string{"full_name": "Not Yours"}
	for name, id := range map[string]string{
		"a colleague":                 colleague.ID,
		"another organisation's user": stranger.ID,
		"nobody":                      uuid.NewString(),
	} {
		t.Run(name, func(t *testing.T) {
			expectReason(t, e.call(http.MethodPut, "/api/v1/users/"+id, viewerTok, body), http.StatusForbidden, "missing_permission", name)
		})
	}
	r := e.call(http.MethodPut, "/api/v1/users/"+strings.ToUpper(viewer.ID), viewerTok, map[string]string{"full_name": "Vera"})
	expect(t, r, http.StatusOK, "own profile, id in upper case")
	if u := decode[userJSON](t, r); u.ID != viewer.ID || u.FullName != "Vera" {
		t.Errorf("own update = %+v", u)
	}
	expect(t, e.call(http.MethodPut, "/api/v1/users/not-a-uuid", viewerTok, body), http.StatusBadRequest, "malformed id")
	// Nothing changed where the viewer was refused.
	for _, u := range []userJSON{colleague, stranger} {
		if name := scalar[string](e, `SELECT full_name FROM identity.users WHERE id = $1`, u.ID); name != u.FullName {
			t.Errorf("%s renamed to %q", u.Email, name)
		}
	}
}
