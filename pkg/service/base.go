package service

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"reos.dev/pkg/health"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/routes"
	"reos.dev/pkg/telemetry"
)

// BaseOptions are what every service's server.New starts from: the pool as
// the service role, the logger, and the optional metrics registry and
// health checker the binary passes in (tests leave them nil).
type BaseOptions struct {
	// Name names the service in metrics; Schema is where its River tables are.
	Name, Schema string
	Pool         *pgxpool.Pool
	Logger       *slog.Logger
	// Metrics defaults to a fresh registry; Health to a checker with the
	// PostgreSQL ping only (the binary adds Redis and the broker).
	Metrics *telemetry.Metrics
	Health  *health.Checker
	// Jobs are the queue's settings; zero values take pkg/jobs' defaults.
	Jobs jobs.Settings
}

// Base is the part of a service's wiring that is the same in every
// service: metrics, health, and the job queue with its (still empty)
// worker set. The queue comes first because the store enqueues through
// it; the service registers its workers on Workers once the use cases
// exist, before the queue ever runs (River reads them at start).
type Base struct {
	Metrics *telemetry.Metrics
	Health  *health.Checker
	Queue   *jobs.Queue
	Workers *river.Workers
}

// NewBase builds the Base of o.
func NewBase(o BaseOptions) (Base, error) {
	if o.Name == "" || o.Schema == "" || o.Pool == nil || o.Logger == nil {
		return Base{}, errors.New("service.NewBase: Name, Schema, Pool and Logger are required")
	}
	b := Base{Metrics: o.Metrics, Health: o.Health, Workers: river.NewWorkers()}
	if b.Metrics == nil {
		b.Metrics = telemetry.NewMetrics(o.Name)
	}
	if b.Health == nil {
		b.Health = health.New(o.Logger)
		b.Health.Add("postgres", health.PingPostgres(o.Pool))
	}
	q, err := jobs.New(jobs.Config{Pool: o.Pool, Schema: o.Schema, Logger: o.Logger, Workers: b.Workers, Settings: o.Jobs})
	if err != nil {
		return Base{}, err
	}
	b.Queue = q
	return b, nil
}

// Served is what every service's server.New returns besides its use
// cases: the handler the binary serves, the bare router and its route
// table for the tests, and the job queue the binary runs while serving
// (Queue.Run; tests run it themselves).
type Served struct {
	// Handler serves every route, wrapped in request id, panic recovery,
	// access log and tracing (Handler).
	Handler http.Handler
	// Router is the bare router (for route listing in tests).
	Router http.Handler
	// Routes is the route table Router serves (the generated route tests
	// run over it).
	Routes []routes.Route
	Queue  *jobs.Queue
}

// Serve wraps router (built from table) the way every service serves it.
func (b Base) Serve(name string, logger *slog.Logger, router http.Handler, table []routes.Route) Served {
	return Served{Handler: Handler(name, logger, router), Router: router, Routes: table, Queue: b.Queue}
}
