// Package http is crm's HTTP transport: go-kit endpoints (through
// httpx.Endpoint) on a gorilla/mux router, at the public /api/v1 paths the
// gateway routes by prefix. The routes are data (routes.go): each row's
// permission is checked before its handler runs (and so before any row is
// looked up), and the app layer checks again.
package http

import (
	"fmt"
	"log/slog"
	"net/http"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/routes"
	"reos.dev/pkg/service"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/crm/internal/app"
)

// APIPrefix is the public prefix of every API route.
const APIPrefix = "/api/v1"

// Config holds what the handler needs; every field is required
// (service.RequireFields).
type Config struct {
	Service app.Service
	// Jobs serves the jobs API at /api/v1/jobs/crm.
	Jobs     *jobs.Queue
	Verifier *auth.Verifier
	// OpenAPIJSON is the service's OpenAPI document, served at /openapi.json.
	OpenAPIJSON []byte
	Health      *health.Checker
	Metrics     *telemetry.Metrics
	Logger      *slog.Logger
	// Files serves the signed downloads under /api/v1/files/crm/
	// (storage.NewHandler): public, the signature is the credential.
	Files http.Handler
}

// NewHandler returns crm's whole HTTP surface, and the route table it is
// built from (for the generated route tests): the operational endpoints
// service.NewRouter mounts, and every row of the table (routes.go).
func NewHandler(cfg Config) (http.Handler, []routes.Route, error) {
	if err := service.RequireFields("http.NewHandler", cfg); err != nil {
		return nil, nil, err
	}
	h := &handlers{svc: cfg.Service, log: cfg.Logger.With("component", "http")}
	r := service.NewRouter(cfg.Health, cfg.Metrics, cfg.OpenAPIJSON)
	table := h.routeTable(cfg.Files, cfg.Jobs.Routes("crm", cfg.Logger))
	if err := routes.Mount(r, auth.Middleware(cfg.Verifier, cfg.Logger), table); err != nil {
		return nil, nil, fmt.Errorf("http.NewHandler: %w", err)
	}
	return r, table, nil
}
