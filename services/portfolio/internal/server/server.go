// Package server wires portfolio together: store, service, property client
// and HTTP handler. The binary and the component tests build it the same
// way through New, so the tests exercise the real wiring.
package server

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/events"
	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/portfolio"
	pgstore "reos.dev/services/portfolio/internal/adapters/postgres"
	"reos.dev/services/portfolio/internal/app"
	transport "reos.dev/services/portfolio/internal/transport/http"
	"reos.dev/services/portfolio/internal/transport/worker"
)

// ServiceName names the service in logs, metrics and traces.
const ServiceName = "portfolio"

// Options configure New. Pool, Verifier, Logger and Property are required;
// the fields tagged optional have defaults, and the settings (App, Jobs)
// take theirs when zero.
type Options struct {
	// Pool runs as the service role (never the schema owner).
	Pool *pgxpool.Pool
	// Verifier checks access tokens (JWKS from identity; static in tests).
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// Property is the client of the property service (the read model's
	// HTTP fallback); tests give a fake.
	Property app.PropertyClient
	// App tunes the use cases (inline reconciliation bound, batches,
	// fallback calls per request).
	App app.Config
	// Jobs tunes the job queue; zero values take pkg/jobs' defaults.
	Jobs jobs.Settings
	// Clock defaults to the wall clock; tests use a fake one.
	Clock app.Clock `service:"optional"`
	// Metrics defaults to a fresh registry.
	Metrics *telemetry.Metrics `service:"optional"`
	// Health defaults to a checker with the PostgreSQL ping only.
	Health *health.Checker `service:"optional"`
}

// Server is the wired service: what every service serves (service.Served:
// Handler, Router, Routes, Queue) and portfolio's use cases.
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
	base, err := service.NewBase(service.BaseOptions{Name: ServiceName, Schema: portfolio.Schema, Pool: o.Pool, Logger: o.Logger,
		Metrics: o.Metrics, Health: o.Health, Jobs: o.Jobs})
	if err != nil {
		return nil, err
	}
	store, err := pgstore.NewStore(o.Pool, portfolio.Schema, base.Queue)
	if err != nil {
		return nil, err
	}
	svc, err := app.NewService(o.App, app.Deps{Store: store, Clock: o.Clock, Logger: o.Logger, Property: o.Property})
	if err != nil {
		return nil, err
	}
	// River reads its workers when the queue starts, so they join after
	// the service they call.
	if err := worker.Register(base.Workers, svc, base.Queue); err != nil {
		return nil, err
	}
	doc, err := OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	router, table, err := transport.NewHandler(transport.Config{
		Service: svc, Jobs: base.Queue, Verifier: o.Verifier, OpenAPIJSON: doc, Health: base.Health, Metrics: base.Metrics, Logger: o.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Served: base.Serve(ServiceName, o.Logger, router, table), Service: svc}, nil
}

// OpenAPIJSON converts the embedded openapi.yaml to the JSON served at
// /openapi.json, with the jobs API's operations.
func OpenAPIJSON() ([]byte, error) {
	return service.OpenAPIJSON(portfolio.Root.OpenAPIYAML(), jobs.OpenAPI(ServiceName))
}

// PropertyReadModelGroup is the Kafka consumer group (and inbox consumer
// name) of the property read model. A new group starts at the oldest
// retained message of reos.property.events, so a fresh portfolio catches
// up on every property and valuation the topic still holds.
const PropertyReadModelGroup = "portfolio-property-read-model"

// ConsumerOptions configure NewPropertyConsumer: Pool, Brokers and Logger
// are required; GroupID defaults to PropertyReadModelGroup.
type ConsumerOptions = events.ReadModelOptions

// NewPropertyConsumer returns the consumer that feeds the property read
// model (known properties and their valuations) from reos.property.events.
func NewPropertyConsumer(o ConsumerOptions) (*events.Consumer, error) {
	return events.NewReadModelConsumer(events.ReadModel{
		Schema: portfolio.Schema, Context: "property", Group: PropertyReadModelGroup, Handler: pgstore.PropertyEventHandler(),
	}, o)
}
