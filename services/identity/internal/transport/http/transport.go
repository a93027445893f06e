// Package http is identity's HTTP transport: go-kit endpoints (through
// httpx.Endpoint) on a gorilla/mux router, with the public /api/v1 paths the
// gateway routes by prefix. Permission checks here are the first line only;
// the app layer checks again.
package http

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/service"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/domain"
)

// APIPrefix is the public prefix of every API route.
const APIPrefix = "/api/v1"

// Config holds what the handler needs; all fields are required.
type Config struct {
	Service  app.Service
	Verifier *auth.Verifier
	// JWKS returns the published key document.
	JWKS func() auth.JWKS
	// OpenAPIJSON is the service's OpenAPI document, served at /openapi.json.
	OpenAPIJSON []byte
	Health      *health.Checker
	Metrics     *telemetry.Metrics
	Logger      *slog.Logger
	// Now is the clock used to tell whether a listed user is locked out.
	Now func() time.Time
}

func (c Config) validate() error {
	var errs []error
	if c.Service == nil {
		errs = append(errs, errors.New("nil Service"))
	}
	if c.Verifier == nil {
		errs = append(errs, errors.New("nil Verifier"))
	}
	if c.JWKS == nil {
		errs = append(errs, errors.New("nil JWKS"))
	}
	if len(c.OpenAPIJSON) == 0 {
		errs = append(errs, errors.New("empty OpenAPIJSON"))
	}
	if c.Health == nil {
		errs = append(errs, errors.New("nil Health"))
	}
	if c.Metrics == nil {
		errs = append(errs, errors.New("nil Metrics"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("nil Logger"))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("nil Now"))
	}
	return errors.Join(errs...)
}

// NewHandler returns identity's whole HTTP surface.
func NewHandler(cfg Config) (http.Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, errors.Join(errors.New("http: NewHandler"), err)
	}
	h := &handlers{svc: cfg.Service, log: cfg.Logger.With("component", "http"), now: cfg.Now}
	// Operational and public endpoints: no token.
	r := service.NewRouter(cfg.Health, cfg.Metrics, cfg.OpenAPIJSON)
	jwks := jwksHandler(cfg.JWKS)
	r.Handle("/.well-known/jwks.json", jwks).Methods(http.MethodGet)

	// Every route sits on the root router with its full path: gorilla/mux
	// subrouters turn a wrong method into a 404 instead of a 405.
	api := func(path string, h http.Handler, method string) {
		r.Handle(APIPrefix+path, h).Methods(method)
	}
	api("/.well-known/jwks.json", jwks, http.MethodGet)
	api("/auth/register", h.register(), http.MethodPost)
	api("/auth/login", h.login(), http.MethodPost)
	api("/auth/refresh", h.refresh(), http.MethodPost)
	api("/auth/logout", h.logout(), http.MethodPost)

	// Everything else needs a valid access token, checked with identity's
	// own keys by the same middleware every service runs.
	authn := auth.Middleware(cfg.Verifier, cfg.Logger)
	authed := func(path string, h http.Handler, method string) { api(path, authn(h), method) }
	need := func(perm string, next http.Handler) http.Handler { return auth.Require(perm)(next) }

	authed("/auth/me", h.me(), http.MethodGet)
	authed("/auth/password", h.changePassword(), http.MethodPost)

	authed("/users", need(domain.PermUsersRead, h.listUsers()), http.MethodGet)
	authed("/users/{id}", need(domain.PermUsersRead, h.getUser()), http.MethodGet)
	// Self-service edits need no permission; the app layer decides.
	authed("/users/{id}", h.updateUser(), http.MethodPut)
	authed("/users/{id}", need(domain.PermUsersWrite, h.deleteUser()), http.MethodDelete)

	authed("/admin/users", need(domain.PermUsersAdmin, h.adminListUsers()), http.MethodGet)
	authed("/admin/users", need(domain.PermUsersAdmin, h.adminCreateUser()), http.MethodPost)
	authed("/admin/users/{id}/roles", need(domain.PermUsersAdmin, h.setUserRoles()), http.MethodPut)
	authed("/admin/users/{id}/reset-password", need(domain.PermUsersAdmin, h.resetPassword()), http.MethodPost)

	authed("/teams", need(domain.PermTeamsRead, h.listTeams()), http.MethodGet)
	authed("/teams", need(domain.PermTeamsWrite, h.createTeam()), http.MethodPost)
	authed("/teams/{id}", need(domain.PermTeamsRead, h.getTeam()), http.MethodGet)
	authed("/teams/{id}", need(domain.PermTeamsWrite, h.updateTeam()), http.MethodPut)
	authed("/teams/{id}", need(domain.PermTeamsWrite, h.deleteTeam()), http.MethodDelete)
	authed("/teams/{id}/members", need(domain.PermTeamsWrite, h.addMember()), http.MethodPost)
	authed("/teams/{id}/members/{user_id}", need(domain.PermTeamsWrite, h.removeMember()), http.MethodDelete)

	authed("/roles", need(domain.PermRolesRead, h.listRoles()), http.MethodGet)
	authed("/roles", need(domain.PermRolesWrite, h.createRole()), http.MethodPost)
	authed("/roles/{id}", need(domain.PermRolesRead, h.getRole()), http.MethodGet)
	authed("/roles/{id}", need(domain.PermRolesWrite, h.updateRole()), http.MethodPut)
	authed("/roles/{id}", need(domain.PermRolesWrite, h.deleteRole()), http.MethodDelete)
	authed("/permissions", need(domain.PermRolesRead, h.permissions()), http.MethodGet)

	return r, nil
}

// jwksHandler serves the public keys. Verifiers cache them for five
// minutes; a rotation publishes the new key longer than that before use.
func jwksHandler(doc func() auth.JWKS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		httpx.WriteJSON(w, http.StatusOK, doc())
	})
}
