package http

import (
	"net/http"

	"reos.dev/pkg/routes"
	"reos.dev/services/identity/internal/domain"
)

// Kinds of org-owned rows the path variables name (routes.Route.Owned);
// the route tests give a row of each.
const (
	KindUser = "user"
	KindTeam = "team"
	KindRole = "role"
)

// routeTable is identity's one list of routes: routes.Mount builds the
// router from it (authentication and each row's permission in front of
// its handler) and testkit.RouteTests the tests every route must pass.
// The app checks every permission again.
func (h *handlers) routeTable(jwks http.Handler) []routes.Route {
	user := map[string]string{"id": KindUser}
	team := map[string]string{"id": KindTeam}
	role := map[string]string{"id": KindRole}
	return []routes.Route{
		// The key document, at the root for the services' verifiers
		// (JWKS_URL) and under the prefix for clients of the gateway.
		{Method: http.MethodGet, Path: "/.well-known/jwks.json", Public: true, Handler: jwks},
		{Method: http.MethodGet, Path: APIPrefix + "/.well-known/jwks.json", Public: true, Handler: jwks},
		{Method: http.MethodPost, Path: APIPrefix + "/auth/register", Public: true, Handler: h.register()},
		{Method: http.MethodPost, Path: APIPrefix + "/auth/login", Public: true, Handler: h.login()},
		{Method: http.MethodPost, Path: APIPrefix + "/auth/refresh", Public: true, Handler: h.refresh()},
		// Logout's credential is the refresh token in the body: it must
		// work once the access token has expired (the gateway lets it
		// through without one, too).
		{Method: http.MethodPost, Path: APIPrefix + "/auth/logout", Public: true, Handler: h.logout()},

		{Method: http.MethodGet, Path: APIPrefix + "/auth/me", Handler: h.me(),
			SelfService: "the caller's own account and permissions: every signed-in user may read who they are"},
		{Method: http.MethodPost, Path: APIPrefix + "/auth/password", Handler: h.changePassword(),
			SelfService: "the caller's own password, proven by the current one"},

		{Method: http.MethodGet, Path: APIPrefix + "/users", Perm: domain.PermUsersRead, Handler: h.listUsers()},
		{Method: http.MethodGet, Path: APIPrefix + "/users/{id}", Perm: domain.PermUsersRead, Owned: user, Handler: h.getUser()},
		{Method: http.MethodPut, Path: APIPrefix + "/users/{id}", Owned: user, Handler: h.updateUser(),
			SelfService: "your own profile is yours to edit; another user's needs users:write and every permission the user holds, which the app checks (before the lookup for users:write)"},
		{Method: http.MethodDelete, Path: APIPrefix + "/users/{id}", Perm: domain.PermUsersWrite, Owned: user, Handler: h.deleteUser()},

		{Method: http.MethodGet, Path: APIPrefix + "/admin/users", Perm: domain.PermUsersAdmin, Handler: h.adminListUsers()},
		{Method: http.MethodPost, Path: APIPrefix + "/admin/users", Perm: domain.PermUsersAdmin, Handler: h.adminCreateUser()},
		{Method: http.MethodPut, Path: APIPrefix + "/admin/users/{id}/roles", Perm: domain.PermUsersAdmin, Owned: user, Handler: h.setUserRoles()},
		{Method: http.MethodPost, Path: APIPrefix + "/admin/users/{id}/reset-password", Perm: domain.PermUsersAdmin, Owned: user, Handler: h.resetPassword()},

		{Method: http.MethodGet, Path: APIPrefix + "/teams", Perm: domain.PermTeamsRead, Handler: h.listTeams()},
		{Method: http.MethodPost, Path: APIPrefix + "/teams", Perm: domain.PermTeamsWrite, Handler: h.createTeam()},
		{Method: http.MethodGet, Path: APIPrefix + "/teams/{id}", Perm: domain.PermTeamsRead, Owned: team, Handler: h.getTeam()},
		{Method: http.MethodPut, Path: APIPrefix + "/teams/{id}", Perm: domain.PermTeamsWrite, Owned: team, Handler: h.updateTeam()},
		{Method: http.MethodDelete, Path: APIPrefix + "/teams/{id}", Perm: domain.PermTeamsWrite, Owned: team, Handler: h.deleteTeam()},
		{Method: http.MethodPost, Path: APIPrefix + "/teams/{id}/members", Perm: domain.PermTeamsWrite, Owned: team, Handler: h.addMember()},
		{Method: http.MethodDelete, Path: APIPrefix + "/teams/{id}/members/{user_id}", Perm: domain.PermTeamsWrite,
			Owned: map[string]string{"id": KindTeam, "user_id": KindUser}, Handler: h.removeMember()},

		{Method: http.MethodGet, Path: APIPrefix + "/roles", Perm: domain.PermRolesRead, Handler: h.listRoles()},
		{Method: http.MethodPost, Path: APIPrefix + "/roles", Perm: domain.PermRolesWrite, Handler: h.createRole()},
		{Method: http.MethodGet, Path: APIPrefix + "/roles/{id}", Perm: domain.PermRolesRead, Owned: role, Handler: h.getRole()},
		{Method: http.MethodPut, Path: APIPrefix + "/roles/{id}", Perm: domain.PermRolesWrite, Owned: role, Handler: h.updateRole()},
		{Method: http.MethodDelete, Path: APIPrefix + "/roles/{id}", Perm: domain.PermRolesWrite, Owned: role, Handler: h.deleteRole()},
		{Method: http.MethodGet, Path: APIPrefix + "/permissions", Perm: domain.PermRolesRead, Handler: h.permissions()},
	}
}
