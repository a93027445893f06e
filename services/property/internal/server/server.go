// Package server wires property together: store, service and HTTP handler.
// The binary and the component tests build the service the same way
// through New, so the tests exercise the real wiring.
package server

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
	"reos.dev/pkg/storage"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/property"
	"reos.dev/services/property/internal/adapters/market"
	pgstore "reos.dev/services/property/internal/adapters/postgres"
	"reos.dev/services/property/internal/app"
	transport "reos.dev/services/property/internal/transport/http"
	"reos.dev/services/property/internal/transport/worker"
)

// ServiceName names the service in logs, metrics and traces.
const ServiceName = "property"

// Options configure New. Pool, Verifier and Logger are required; the
// fields tagged optional have defaults.
type Options struct {
	// Pool runs as the service role (never the schema owner).
	Pool *pgxpool.Pool
	// Verifier checks access tokens (JWKS from identity in production).
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// Clock defaults to the wall clock.
	Clock app.Clock `service:"optional"`
	// Metrics defaults to a fresh registry.
	Metrics *telemetry.Metrics `service:"optional"`
	// Health defaults to a checker with the PostgreSQL ping only; the binary
	// adds Redis and the broker.
	Health *health.Checker `service:"optional"`
	// Jobs tunes the job queue (retry backoff, polling); zero values take
	// pkg/jobs' defaults.
	Jobs jobs.Settings
	// Market is the market data provider of valuations; nil is the mock
	// with market.DefaultSeed and no outages.
	Market app.MarketData `service:"optional"`
	// Media stores images and documents and signs their download links;
	// Files and Signer are required (storage.Config.Open in the binary).
	Media app.MediaConfig
	// Imports bounds bulk imports (files go to Media.Files); zero values
	// take the app's defaults.
	Imports app.ImportConfig
}

// Server is the wired service: what every service serves (service.Served:
// Handler, Router, Routes, Queue) and property's use cases.
type Server struct {
	service.Served
	Service app.Service
}

// New wires the service.
func New(o Options) (*Server, error) {
	if err := service.RequireFields("server.New", o); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = app.SystemClock{}
	}
	if o.Market == nil {
		o.Market = market.NewMock(market.DefaultSeed, nil)
	}
	base, err := service.NewBase(service.BaseOptions{Name: ServiceName, Schema: property.Schema, Pool: o.Pool, Logger: o.Logger,
		Metrics: o.Metrics, Health: o.Health, Jobs: o.Jobs})
	if err != nil {
		return nil, err
	}
	queue := base.Queue
	store, err := pgstore.NewStore(o.Pool, property.Schema, queue)
	if err != nil {
		return nil, err
	}
	svc, err := app.NewService(app.Deps{Store: store, Clock: o.Clock, Logger: o.Logger, Market: o.Market, Media: o.Media,
		Imports: o.Imports})
	if err != nil {
		return nil, err
	}
	files, err := storage.NewHandler(storage.HandlerConfig{Store: o.Media.Files, Signer: o.Media.Signer, Logger: o.Logger, Now: o.Clock.Now})
	if err != nil {
		return nil, err
	}
	if err := worker.Register(base.Workers, svc); err != nil {
		return nil, err
	}
	doc, err := OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	h, err := transport.NewHandler(transport.Config{
		Service: svc, Jobs: queue, Verifier: o.Verifier, OpenAPIJSON: doc, Health: base.Health, Metrics: base.Metrics, Logger: o.Logger,
		Files: files,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Served: base.Serve(ServiceName, o.Logger, h.Router, h.Routes), Service: svc}, nil
}

// OpenAPIJSON converts the embedded openapi.yaml to the JSON served at
// /openapi.json, with the jobs API's paths merged in.
func OpenAPIJSON() ([]byte, error) {
	return service.OpenAPIJSON(property.Root.OpenAPIYAML(), jobs.OpenAPI(ServiceName))
}
