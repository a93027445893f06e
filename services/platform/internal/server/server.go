// Package server wires platform together: the jobs APIs it aggregates,
// the use cases and the HTTP handler. The binary and the component tests
// build it the same way through New, so the tests exercise the real wiring.
package server

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/events"
	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/platform"
	"reos.dev/services/platform/internal/adapters/jobsapi"
	pgstore "reos.dev/services/platform/internal/adapters/postgres"
	"reos.dev/services/platform/internal/adapters/webhookhttp"
	"reos.dev/services/platform/internal/app"
	transport "reos.dev/services/platform/internal/transport/http"
	"reos.dev/services/platform/internal/transport/worker"
)

// ServiceName names the service in logs, metrics and traces.
const ServiceName = "platform"

// Options configure New. Pool, Verifier, Logger and JobServices are
// required; the optional ones have defaults.
type Options struct {
	// Pool runs as the service role (never the schema owner).
	Pool *pgxpool.Pool
	// Verifier checks access tokens (JWKS from identity; static in tests).
	Verifier *auth.Verifier
	Logger   *slog.Logger
	// JobServices are the services whose jobs /tasks and /admin/dlq
	// aggregate: name → base URL (their jobs API is at
	// jobs.APIPath(name)).
	JobServices map[string]string
	// JobsTimeout bounds each call to a service's jobs API (svcclient's
	// default when zero): a slower service is reported missing.
	JobsTimeout time.Duration `service:"optional"`
	// JobsTransport carries those calls (nil: svcclient's default).
	JobsTransport http.RoundTripper `service:"optional"`
	// Metrics defaults to a fresh registry.
	Metrics *telemetry.Metrics `service:"optional"`
	// Health defaults to a checker with the PostgreSQL ping only.
	Health *health.Checker `service:"optional"`
	// Jobs tunes platform's own job queue; zero values take pkg/jobs'.
	Jobs jobs.Settings
	// WebhookAllow are the nets webhooks may reach although internal
	// (development only: 127.0.0.0/8 for a local receiver).
	WebhookAllow []netip.Prefix `service:"optional"`
	// WebhookTimeout bounds one delivery attempt (default 15 s).
	WebhookTimeout time.Duration `service:"optional"`
	// WebhookAllowHTTP accepts http:// endpoints (mock mode).
	WebhookAllowHTTP bool
	// Now is the clock (default the wall clock); Random makes secrets
	// (default crypto/rand); Unit draws retry jitter (default math/rand).
	Now    func() time.Time `service:"optional"`
	Random io.Reader        `service:"optional"`
	Unit   func() float64   `service:"optional"`
}

// Server is the wired service: what every service serves (service.Served)
// and platform's use cases.
type Server struct {
	service.Served
	Tasks    *app.Tasks
	Webhooks *app.Webhooks
	store    *pgstore.Store
	pool     *pgxpool.Pool
}

// New wires the service.
func New(o Options) (*Server, error) {
	if err := service.RequireFields("server.New", o); err != nil {
		return nil, err
	}
	base, err := service.NewBase(service.BaseOptions{Name: ServiceName, Schema: platform.Schema, Pool: o.Pool, Logger: o.Logger,
		Metrics: o.Metrics, Health: o.Health, Jobs: o.Jobs})
	if err != nil {
		return nil, err
	}
	apis := make(map[string]app.JobsAPI, len(o.JobServices))
	for name, url := range o.JobServices {
		c, err := jobsapi.New(jobsapi.Config{Service: name, BaseURL: url, Logger: o.Logger, Timeout: o.JobsTimeout, Transport: o.JobsTransport})
		if err != nil {
			return nil, fmt.Errorf("server.New: jobs API of %s: %w", name, err)
		}
		apis[name] = c
	}
	tasks, err := app.NewTasks(apis)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Random == nil {
		o.Random = rand.Reader
	}
	if o.Unit == nil {
		o.Unit = mrand.Float64 // #nosec G404 -- retry jitter, not a secret
	}
	if o.WebhookTimeout <= 0 {
		o.WebhookTimeout = 15 * time.Second
	}
	store, err := pgstore.NewStore(o.Pool, platform.Schema, base.Queue)
	if err != nil {
		return nil, err
	}
	sender := webhookhttp.NewSender(webhookhttp.NewGuard(o.WebhookAllow), o.WebhookTimeout, o.Now)
	hooks, err := app.NewWebhooks(app.WebhookConfig{AllowHTTP: o.WebhookAllowHTTP},
		app.WebhookDeps{Store: store, Sender: sender, Now: o.Now, Random: o.Random, Unit: o.Unit})
	if err != nil {
		return nil, err
	}
	// River reads its workers when the queue starts, so they join after
	// the use cases they call.
	if err := worker.Register(base.Workers, hooks); err != nil {
		return nil, err
	}
	doc, err := OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	router, table, err := transport.NewHandler(transport.Config{
		Tasks: tasks, Webhooks: hooks, History: store.History(), Jobs: base.Queue, Verifier: o.Verifier, OpenAPIJSON: doc, Health: base.Health, Metrics: base.Metrics, Logger: o.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Served: base.Serve(ServiceName, o.Logger, router, table), Tasks: tasks, Webhooks: hooks, store: store, pool: o.Pool}, nil
}

// OpenAPIJSON converts the embedded openapi.yaml to the JSON served at
// /openapi.json, with the jobs API's operations.
func OpenAPIJSON() ([]byte, error) {
	return service.OpenAPIJSON(platform.Root.OpenAPIYAML(), jobs.OpenAPI(ServiceName))
}

// WebhookContexts are the contexts whose domain topics feed webhooks out.
// identity's events (sessions, logins) are security events for the audit
// log, not for integrators.
var WebhookContexts = []string{"property", "crm", "outreach", "portfolio"}

// ConsumerOptions configure the consumers: Brokers and Logger are
// required; GroupPrefix defaults to "platform-webhooks" (a stack with its
// own database on a shared broker needs its own); MaxWait bounds the
// broker's long poll (pkg/events' default when zero).
type ConsumerOptions struct {
	Brokers     []string
	Logger      *slog.Logger
	GroupPrefix string
	MaxWait     time.Duration
}

// WebhookConsumers returns one consumer per domain topic
// (WebhookContexts), each recording its events in the history and making
// their webhook messages and delivery jobs in the inbox's transaction. A
// new group starts at the newest message: webhooks and the history are
// about what happens once platform runs, not the topics' whole retention
// (a restarted platform resumes from its committed offsets, losing
// nothing).
func (s *Server) WebhookConsumers(o ConsumerOptions) ([]*events.Consumer, error) {
	if o.GroupPrefix == "" {
		o.GroupPrefix = "platform-webhooks"
	}
	var out []*events.Consumer
	for _, c := range WebhookContexts {
		group := o.GroupPrefix + "-" + c
		consumer, err := events.NewConsumer(events.ConsumerConfig{
			Pool: s.pool, Schema: platform.Schema, Brokers: o.Brokers, GroupID: group, Topics: []string{events.Topic(c)},
			Handler: s.store.EventHandler(s.Webhooks), Logger: o.Logger, MaxWait: o.MaxWait, StartAtNewest: true,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, consumer)
	}
	return out, nil
}
