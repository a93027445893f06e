// Package server wires platform together: the jobs APIs it aggregates,
// the use cases and the HTTP handler. The binary and the component tests
// build it the same way through New, so the tests exercise the real wiring.
package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/service"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/platform"
	"reos.dev/services/platform/internal/adapters/jobsapi"
	"reos.dev/services/platform/internal/app"
	transport "reos.dev/services/platform/internal/transport/http"
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
}

// Server is the wired service: what every service serves (service.Served)
// and platform's use cases.
type Server struct {
	service.Served
	Tasks *app.Tasks
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
	doc, err := OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	router, table, err := transport.NewHandler(transport.Config{
		Tasks: tasks, Verifier: o.Verifier, OpenAPIJSON: doc, Health: base.Health, Metrics: base.Metrics, Logger: o.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Served: base.Serve(ServiceName, o.Logger, router, table), Tasks: tasks}, nil
}

// OpenAPIJSON converts the embedded openapi.yaml to the JSON served at
// /openapi.json.
func OpenAPIJSON() ([]byte, error) {
	return service.OpenAPIJSON(platform.Root.OpenAPIYAML())
}
