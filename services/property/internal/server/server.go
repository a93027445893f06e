// Package server wires property together: store, service and HTTP handler.
// The binary and the component tests build the service the same way
// through New, so the tests exercise the real wiring.
package server

import (
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/routes"
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

// Server is the wired service.
type Server struct {
	// Handler serves every route, wrapped in request id, panic recovery,
	// access log and tracing.
	Handler http.Handler
	// Router is the bare router (for route listing in tests).
	Router http.Handler
	// Routes is the route table Router serves (the generated route tests
	// run over it).
	Routes  []routes.Route
	Service app.Service
	// Queue is the service's job queue; the binary runs it while serving
	// (Queue.Run), tests run it themselves.
	Queue *jobs.Queue
}

// New wires the service.
func New(o Options) (*Server, error) {
	if err := service.RequireFields("server.New", o); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = app.SystemClock{}
	}
	if o.Metrics == nil {
		o.Metrics = telemetry.NewMetrics(ServiceName)
	}
	if o.Health == nil {
		o.Health = health.New(o.Logger)
		o.Health.Add("postgres", health.PingPostgres(o.Pool))
	}
	if o.Market == nil {
		o.Market = market.NewMock(market.DefaultSeed, nil)
	}
	// The queue comes first (the store enqueues through it); the workers,
	// which need the service, are registered before it ever runs.
	workers := river.NewWorkers()
	queue, err := jobs.New(jobs.Config{Pool: o.Pool, Schema: property.Schema, Logger: o.Logger, Workers: workers, Settings: o.Jobs})
	if err != nil {
		return nil, err
	}
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
	if err := worker.Register(workers, svc); err != nil {
		return nil, err
	}
	doc, err := OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	h, err := transport.NewHandler(transport.Config{
		Service: svc, Jobs: queue, Verifier: o.Verifier, OpenAPIJSON: doc, Health: o.Health, Metrics: o.Metrics, Logger: o.Logger,
		Files: files,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Handler: service.Handler(ServiceName, o.Logger, h.Router), Router: h.Router, Routes: h.Routes, Service: svc, Queue: queue}, nil
}

// OpenAPIJSON converts the embedded openapi.yaml to the JSON served at
// /openapi.json, with the jobs API's paths merged in.
func OpenAPIJSON() ([]byte, error) {
	return service.OpenAPIJSON(property.Root.OpenAPIYAML(), jobs.OpenAPI(ServiceName))
}
