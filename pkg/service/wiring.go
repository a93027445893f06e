package service

import (
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/events"
	"reos.dev/pkg/health"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/telemetry"
)

// Version tables of a service schema's two migration sources.
const (
	MigrationsTable       = "schema_migrations"
	EventsMigrationsTable = "events_schema_migrations"
)

// Schema is a service's schema name with its own migrations first (they
// create the role and the default privileges), pkg/events' outbox and inbox
// after them, then any shared sources the service also uses (jobs.Sources()).
func Schema(name string, migrations fs.FS, shared ...postgres.Source) postgres.Schema {
	return postgres.Schema{Name: name, Sources: append([]postgres.Source{
		{Name: name, Table: MigrationsTable, FS: migrations},
		{Name: "events", Table: EventsMigrationsTable, FS: events.Migrations},
	}, shared...)}
}

// NewRouter returns the router every service's routes go on: problem+json
// answers for unknown paths and wrong methods (with Allow listing the
// path's methods), request metrics, and the operational endpoints of
// MountOperational.
func NewRouter(checks *health.Checker, metrics *telemetry.Metrics, openAPIJSON []byte) *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = httpx.NotFoundHandler()
	r.MethodNotAllowedHandler = httpx.MethodNotAllowedFor(r)
	r.Use(metrics.Middleware)
	MountOperational(r, checks, metrics, openAPIJSON)
	return r
}

// Handler wraps a service's router in the middleware every service runs,
// outermost first: request id, panic recovery, access log, tracing.
func Handler(name string, logger *slog.Logger, router http.Handler) http.Handler {
	return httpx.Chain(router, httpx.RequestID, httpx.Recover(logger), httpx.AccessLog(logger), telemetry.Trace(name))
}

// Verifier checks access tokens with identity's published keys (JWKS_URL,
// JWT_ISSUER, JWT_AUDIENCE).
func (rt Runtime[C]) Verifier() *auth.Verifier {
	return auth.NewVerifier(auth.VerifierConfig{JWKSURL: rt.Common.JWKSURL, Issuer: rt.Common.JWTIssuer, Audience: rt.Common.JWTAudience})
}
