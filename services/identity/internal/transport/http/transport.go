// Package http is identity's HTTP transport: go-kit endpoints (through
// httpx.Endpoint) on a gorilla/mux router, with the public /api/v1 paths the
// gateway routes by prefix. The routes are data (routes.go): each row's
// permission is checked before its handler runs, and the app layer checks
// again.
package http

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/routes"
	"reos.dev/pkg/service"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/identity/internal/app"
)

// APIPrefix is the public prefix of every API route.
const APIPrefix = "/api/v1"

// Config holds what the handler needs; every field is required
// (service.RequireFields).
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

// NewHandler returns identity's whole HTTP surface, and the route table it
// is built from (for the generated route tests): the operational
// endpoints service.NewRouter mounts, and every row of the table behind
// identity's own access-token check.
func NewHandler(cfg Config) (http.Handler, []routes.Route, error) {
	if err := service.RequireFields("http.NewHandler", cfg); err != nil {
		return nil, nil, err
	}
	h := &handlers{svc: cfg.Service, log: cfg.Logger.With("component", "http"), now: cfg.Now}
	r := service.NewRouter(cfg.Health, cfg.Metrics, cfg.OpenAPIJSON)
	table := h.routeTable(jwksHandler(cfg.JWKS))
	// Identity verifies access tokens with its own keys, by the same
	// middleware every service runs.
	if err := routes.Mount(r, auth.Middleware(cfg.Verifier, cfg.Logger), table); err != nil {
		return nil, nil, fmt.Errorf("http.NewHandler: %w", err)
	}
	return r, table, nil
}

// jwksHandler serves the public keys. Verifiers cache them for five
// minutes; a rotation publishes the new key longer than that before use.
func jwksHandler(doc func() auth.JWKS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		httpx.WriteJSON(w, http.StatusOK, doc())
	})
}
