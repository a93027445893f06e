// Package server wires identity together: store, hasher, token issuer,
// service and HTTP handler. The binary and the component tests build the
// service the same way through New, so the tests exercise the real wiring.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/routes"
	"reos.dev/pkg/service"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/identity"
	"reos.dev/services/identity/internal/adapters/password"
	pgstore "reos.dev/services/identity/internal/adapters/postgres"
	"reos.dev/services/identity/internal/adapters/token"
	"reos.dev/services/identity/internal/app"
	transport "reos.dev/services/identity/internal/transport/http"
)

// ServiceName names the service in logs, metrics and traces.
const ServiceName = "identity"

// Options configure New. Pool, Keys, Logger and Revocations are required
// (service.RequireFields); the fields tagged optional have defaults, and
// Issuer, Audience and Mode are settings the binary's config validates.
type Options struct {
	// Pool runs as the service role (never the schema owner).
	Pool     *pgxpool.Pool
	Keys     *auth.KeySet
	Issuer   string
	Audience string
	Mode     string
	Logger   *slog.Logger
	// Revocations is the session revocation feed (pkg/service runs it):
	// identity writes ended sessions to it and checks access tokens with it.
	Revocations *auth.Revocations

	// Clock defaults to the wall clock; tests move a fake one.
	Clock app.Clock `service:"optional"`
	// Hasher defaults to argon2id with the OWASP parameters.
	Hasher app.PasswordHasher `service:"optional"`
	// Metrics defaults to a fresh registry.
	Metrics *telemetry.Metrics `service:"optional"`
	// Health defaults to a checker with the PostgreSQL ping only; the binary
	// adds Redis and the broker.
	Health *health.Checker `service:"optional"`
	// AccessTTL and RefreshTTL default to 15 minutes and 30 days.
	AccessTTL, RefreshTTL time.Duration
}

// Server is the wired service.
type Server struct {
	// Handler serves every route, wrapped in request id, panic recovery,
	// access log and tracing.
	Handler http.Handler
	// Router is the bare router (for route listing in tests).
	Router http.Handler
	// Routes is the route table Router is built from (for the generated
	// route tests).
	Routes  []routes.Route
	Service app.Service
	Tokens  *token.Issuer
}

// New wires the service.
func New(o Options) (*Server, error) {
	if err := service.RequireFields("server.New", o); err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = app.SystemClock{}
	}
	if o.Hasher == nil {
		o.Hasher = password.NewArgon2id(password.OWASPParams)
	}
	if o.Metrics == nil {
		o.Metrics = telemetry.NewMetrics(ServiceName)
	}
	if o.Health == nil {
		o.Health = health.New(o.Logger)
		o.Health.Add("postgres", health.PingPostgres(o.Pool))
		o.Health.Add("revocations", o.Revocations.Ready)
	}
	store, err := pgstore.NewStore(o.Pool, identity.Schema)
	if err != nil {
		return nil, err
	}
	issuer, err := token.NewIssuer(o.Keys, o.Issuer, o.Audience, o.Revocations)
	if err != nil {
		return nil, err
	}
	svc, err := app.NewService(app.Config{Mode: o.Mode, AccessTTL: o.AccessTTL, RefreshTTL: o.RefreshTTL}, app.Deps{
		Store: store, Hasher: o.Hasher, Tokens: issuer, Sessions: o.Revocations, Clock: o.Clock, Logger: o.Logger,
	})
	if err != nil {
		return nil, err
	}
	doc, err := OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	router, table, err := transport.NewHandler(transport.Config{
		Service: svc, Verifier: issuer.Verifier(), JWKS: issuer.JWKS, OpenAPIJSON: doc,
		Health: o.Health, Metrics: o.Metrics, Logger: o.Logger, Now: o.Clock.Now,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Handler: service.Handler(ServiceName, o.Logger, router), Router: router, Routes: table, Service: svc, Tokens: issuer}, nil
}

// OpenAPIJSON converts the embedded openapi.yaml to the JSON served at
// /openapi.json.
func OpenAPIJSON() ([]byte, error) { return service.OpenAPIJSON(identity.Root.OpenAPIYAML()) }
