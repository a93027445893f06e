// Package server wires crm together: store, service and HTTP handler. The
// binary and the component tests build the service the same way through New,
// so the tests exercise the real wiring.
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
	"reos.dev/services/crm"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
	transport "reos.dev/services/crm/internal/transport/http"
	"reos.dev/services/crm/internal/transport/worker"
)

// ServiceName names the service in logs, metrics and traces.
const ServiceName = "crm"

// Options configure New. Pool, Verifier, Logger, Files and Signer are
// required (service.RequireFields); the fields tagged optional have
// defaults, and the settings (DefaultPhoneRegion, Jobs, Uploads) take
// theirs when zero.
type Options struct {
	// Pool runs as the service role (never the schema owner).
	Pool *pgxpool.Pool
	// Verifier checks access tokens (JWKS from identity; static in tests).
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// DefaultPhoneRegion parses national phone numbers; default "US".
	DefaultPhoneRegion string
	// Clock defaults to the wall clock; tests use a fixed one.
	Clock app.Clock `service:"optional"`
	// Metrics defaults to a fresh registry.
	Metrics *telemetry.Metrics `service:"optional"`
	// Health defaults to a checker with the PostgreSQL ping only; the binary
	// adds Redis and the broker.
	Health *health.Checker `service:"optional"`
	// Jobs tunes the job queue (retry backoff, polling); zero values take
	// pkg/jobs' defaults.
	Jobs jobs.Settings
	// Files keeps uploads (lead import files, deal documents) and Signer
	// signs their download links, served at /api/v1/files/crm/; Uploads
	// bounds them (zero values: defaults).
	Files   storage.Store
	Signer  *storage.Signer
	Uploads app.UploadConfig
}

// Server is the wired service: what every service serves (service.Served:
// Handler, Router, Routes, Queue) and crm's use cases.
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
	base, err := service.NewBase(service.BaseOptions{Name: ServiceName, Schema: crm.Schema, Pool: o.Pool, Logger: o.Logger,
		Metrics: o.Metrics, Health: o.Health, Jobs: o.Jobs})
	if err != nil {
		return nil, err
	}
	queue := base.Queue
	store, err := pgstore.NewStore(o.Pool, crm.Schema, queue)
	if err != nil {
		return nil, err
	}
	svc, err := app.NewService(app.Config{DefaultPhoneRegion: o.DefaultPhoneRegion, Uploads: o.Uploads}, app.Deps{
		Store: store, Clock: o.Clock, Logger: o.Logger, Files: o.Files, Links: o.Signer, Progress: queue,
	})
	if err != nil {
		return nil, err
	}
	// River reads its workers when the queue starts (and checks a job's
	// kind when it is inserted), so they join after the service they call.
	if err := worker.Register(base.Workers, svc, queue); err != nil {
		return nil, err
	}
	doc, err := OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	// Signed download links are checked against the service's clock, the
	// one that signed them.
	files, err := storage.NewHandler(storage.HandlerConfig{Store: o.Files, Signer: o.Signer, Logger: o.Logger, Now: o.Clock.Now})
	if err != nil {
		return nil, err
	}
	router, table, err := transport.NewHandler(transport.Config{
		Service: svc, Jobs: queue, Verifier: o.Verifier, OpenAPIJSON: doc, Health: base.Health, Metrics: base.Metrics, Logger: o.Logger,
		Files: files,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Served: base.Serve(ServiceName, o.Logger, router, table), Service: svc}, nil
}

// OpenAPIJSON converts the embedded openapi.yaml to the JSON served at
// /openapi.json.
func OpenAPIJSON() ([]byte, error) {
	return service.OpenAPIJSON(crm.Root.OpenAPIYAML(), jobs.OpenAPI(ServiceName))
}
