// Package http is outreach's HTTP transport: go-kit endpoints (through
// httpx.Endpoint) on a gorilla/mux router, at the public /api/v1 paths the
// gateway routes by prefix. The routes are data (routes.go): each row's
// permission is checked before its handler runs, and the app checks again.
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
	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/provider"
)

// APIPrefix is the public prefix of every API route.
const APIPrefix = "/api/v1"

// Config holds what the handler needs; every field is required.
type Config struct {
	Service app.Service
	// Jobs serves the jobs API at /api/v1/jobs/outreach.
	Jobs     *jobs.Queue
	Verifier *auth.Verifier
	// OpenAPIJSON is the service's OpenAPI document, served at /openapi.json.
	OpenAPIJSON []byte
	Health      *health.Checker
	Metrics     *telemetry.Metrics
	Logger      *slog.Logger
	// Webhooks are the enabled providers' webhook decoders (may be empty:
	// every provider is then 404).
	Webhooks webhooks.Registry
	// MockEmail and MockSMS are the mocks in use (nil with a real
	// provider): their record is served to admins.
	MockEmail *provider.MockEmail `service:"optional"`
	MockSMS   *provider.MockSMS   `service:"optional"`
}

// NewHandler returns outreach's whole HTTP surface and the route table it
// is built from (for the generated route tests).
func NewHandler(cfg Config) (http.Handler, []routes.Route, error) {
	if err := service.RequireFields("http.NewHandler", cfg); err != nil {
		return nil, nil, err
	}
	h := &handlers{svc: cfg.Service, log: cfg.Logger.With("component", "http"), webhooks: cfg.Webhooks,
		mockEmail: cfg.MockEmail, mockSMS: cfg.MockSMS}
	r := service.NewRouter(cfg.Health, cfg.Metrics, cfg.OpenAPIJSON)
	table := append(h.routeTable(), cfg.Jobs.Routes("outreach", cfg.Logger)...)
	if err := routes.Mount(r, auth.Middleware(cfg.Verifier, cfg.Logger), table); err != nil {
		return nil, nil, fmt.Errorf("http.NewHandler: %w", err)
	}
	return r, table, nil
}
