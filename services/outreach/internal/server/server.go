// Package server wires outreach together: store, service and HTTP handler.
// The binary and the component tests build it the same way through New,
// so the tests exercise the real wiring.
package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/events"
	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/outreach"
	pgstore "reos.dev/services/outreach/internal/adapters/postgres"
	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain/unsubscribe"
	transport "reos.dev/services/outreach/internal/transport/http"
	"reos.dev/services/outreach/internal/transport/worker"
)

// ServiceName names the service in logs, metrics and traces.
const ServiceName = "outreach"

// Options configure New. Pool, Verifier, Logger, Unsubscribe and
// PublicBaseURL are required; the optional ones have defaults.
type Options struct {
	// Pool runs as the service role (never the schema owner).
	Pool *pgxpool.Pool
	// Verifier checks access tokens (JWKS from identity; static in tests).
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// Unsubscribe signs and checks unsubscribe tokens (UNSUBSCRIBE_SECRET).
	Unsubscribe *unsubscribe.Signer
	// PublicBaseURL is where recipients reach the API (links in messages).
	PublicBaseURL string
	// DefaultTimeZone is an organisation's zone until it saves one;
	// default America/New_York.
	DefaultTimeZone string `service:"optional"`
	// Clock defaults to the wall clock; tests use a fake one.
	Clock app.Clock `service:"optional"`
	// Metrics defaults to a fresh registry.
	Metrics *telemetry.Metrics `service:"optional"`
	// Health defaults to a checker with the PostgreSQL ping only.
	Health *health.Checker `service:"optional"`
	// Jobs tunes the job queue; zero values take pkg/jobs' defaults.
	Jobs jobs.Settings
	// Providers are the email and SMS providers (OpenProviders; MODE=mock:
	// the mocks, whose events New wires to the webhook path).
	Providers Providers
	// Webhooks are the enabled providers' webhook decoders (none: every
	// provider's webhook is 404).
	Webhooks webhooks.Registry `service:"optional"`
	// Engine tunes the send engine; zero values take the defaults.
	Engine app.EngineConfig
}

// Server is the wired service: what every service serves (service.Served:
// Handler, Router, Routes, Queue) and outreach's use cases.
type Server struct {
	service.Served
	Service app.Service
}

// New wires the service.
func New(o Options) (*Server, error) {
	if err := service.RequireFields("server.New", o); err != nil {
		return nil, err
	}
	if o.Providers.Email == nil || o.Providers.SMS == nil {
		return nil, errors.New("server.New: Providers.Email and Providers.SMS are required")
	}
	if o.Webhooks == nil {
		o.Webhooks = webhooks.Registry{}
	}
	if o.Clock == nil {
		o.Clock = app.SystemClock{}
	}
	base, err := service.NewBase(service.BaseOptions{Name: ServiceName, Schema: outreach.Schema, Pool: o.Pool, Logger: o.Logger,
		Metrics: o.Metrics, Health: o.Health, Jobs: o.Jobs})
	if err != nil {
		return nil, err
	}
	store, err := pgstore.NewStore(o.Pool, outreach.Schema, base.Queue)
	if err != nil {
		return nil, err
	}
	if o.Engine.ClaimLease == 0 {
		// A claimed target returns once the step holding it can be dead:
		// after the queue's rescue window (JOBS_RESCUE_AFTER, which
		// exceeds any attempt's life) and one rescue interval.
		after, every := o.Jobs.RescueAfter, o.Jobs.RescueInterval
		if after == 0 {
			after = jobs.DefaultRescueAfter
		}
		if every == 0 {
			every = jobs.DefaultRescueInterval
		}
		o.Engine.ClaimLease = after + every
	}
	svc, err := app.NewService(app.Config{DefaultTimeZone: o.DefaultTimeZone, PublicBaseURL: o.PublicBaseURL, EngineConfig: o.Engine},
		app.Deps{Store: store, Clock: o.Clock, Logger: o.Logger, Unsubscribe: o.Unsubscribe, Email: o.Providers.Email, SMS: o.Providers.SMS})
	if err != nil {
		return nil, err
	}
	o.Providers.wireMocks(svc.HandleProviderEvents, func(err error) { o.Logger.Error("mock provider event", "error", err) })
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
		Webhooks: o.Webhooks, MockEmail: o.Providers.MockEmail, MockSMS: o.Providers.MockSMS,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Served: base.Serve(ServiceName, o.Logger, router, table), Service: svc}, nil
}

// OpenAPIJSON converts the embedded openapi.yaml to the JSON served at
// /openapi.json.
func OpenAPIJSON() ([]byte, error) {
	return service.OpenAPIJSON(outreach.Root.OpenAPIYAML(), jobs.OpenAPI(ServiceName))
}

// Scheduler returns the scheduler's loop (a worker of the binary):
// scheduled starts, missed holds and campaign wake-ups every interval.
func (s *Server) Scheduler(interval time.Duration, logger *slog.Logger) func(context.Context) error {
	return worker.Scheduler(s.Service, interval, logger)
}

// CRMReadModelGroup is the Kafka consumer group (and inbox consumer name)
// of the audience read model. A new group starts at the oldest retained
// message of reos.crm.events, so a fresh outreach catches up on every
// contact and lead the topic still holds (`crm republish` brings the rest).
const CRMReadModelGroup = "outreach-crm-read-model"

// ConsumerOptions configure NewCRMConsumer: Pool, Brokers and Logger are
// required; GroupID defaults to CRMReadModelGroup.
type ConsumerOptions = events.ReadModelOptions

// NewCRMConsumer returns the consumer that feeds the audience read model
// from reos.crm.events (app.ApplyCRMEvent); the binary runs it as a worker
// beside the HTTP server.
func NewCRMConsumer(o ConsumerOptions) (*events.Consumer, error) {
	return events.NewReadModelConsumer(events.ReadModel{
		Schema: outreach.Schema, Context: "crm", Group: CRMReadModelGroup, Handler: pgstore.AudienceEventHandler(),
	}, o)
}
