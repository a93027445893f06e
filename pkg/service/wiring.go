package service

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/redis/go-redis/v9"

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
// JWT_ISSUER, JWT_AUDIENCE) and refuses those of ended sessions
// (rt.Revocations, an in-memory lookup: no round trip per request).
func (rt Runtime[C]) Verifier() *auth.Verifier {
	return auth.NewVerifier(auth.VerifierConfig{JWKSURL: rt.Common.JWKSURL, Issuer: rt.Common.JWTIssuer, Audience: rt.Common.JWTAudience},
		auth.WithRevocations(revocationChecker(rt.Revocations)))
}

// revocationChecker keeps a nil *auth.Revocations a nil interface, so that
// WithRevocations fails closed instead of calling through a nil pointer.
func revocationChecker(r *auth.Revocations) auth.RevocationChecker {
	if r == nil {
		return nil
	}
	return r
}

// revocationsLoadWait bounds how long serve waits, before it listens, for
// the revocations' first load: until then every access token is a 503.
const revocationsLoadWait = 5 * time.Second

// newRevocations returns the session revocation feed every service follows
// (auth.Revocations on the default key and channel) over rdb.
func newRevocations(rdb *redis.Client, logger *slog.Logger) (*auth.Revocations, error) {
	return auth.NewRevocations(auth.RevocationsConfig{Redis: rdb, Logger: logger})
}

// startRevocations runs the feed in the background until ctx ends and
// waits (at most revocationsLoadWait) for its first load, so a service that
// starts with Redis up never answers 503 for want of it. A Redis that is
// down at start is logged and retried; the readiness check reports it.
func startRevocations(ctx context.Context, r *auth.Revocations, logger *slog.Logger) (done <-chan struct{}) {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		_ = r.Run(ctx)
	}()
	wctx, cancel := context.WithTimeout(ctx, revocationsLoadWait)
	defer cancel()
	if err := r.WaitLoaded(wctx); err != nil {
		logger.WarnContext(ctx, "session revocations not loaded yet: access tokens are refused (503) until Redis answers", "error", err)
	}
	return ch
}
