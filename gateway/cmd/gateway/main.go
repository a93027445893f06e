// Command gateway is the front door of Real Estate OS.
//
//	gateway [serve]          serve HTTP (default)
//	gateway migrate up       apply pending migrations to schema gateway
//	gateway migrate status   print the schema version
//
// Configuration is read from the environment; see server.LoadConfig and
// docs/architecture.md for the variables.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"reos.dev/gateway"
	"reos.dev/gateway/internal/discovery"
	"reos.dev/gateway/internal/proxy"
	"reos.dev/gateway/internal/routing"
	"reos.dev/gateway/internal/server"
	"reos.dev/gateway/migrations"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/config"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/telemetry"
)

const usage = `usage: gateway [serve]
       gateway migrate up|status`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, stdout)
	case "migrate":
		err = migrate(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "gateway: unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "gateway %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return errors.New(usage)
	}
	e := config.FromEnv()
	dbURL := e.URL("DATABASE_URL", "")
	if dbURL == "" {
		e.Required("DATABASE_URL")
	}
	if err := e.Err(); err != nil {
		return err
	}
	db := migrations.Database()
	if args[0] == "up" {
		if err := db.Migrate(ctx, dbURL); err != nil {
			return err
		}
	}
	status, err := db.Status(ctx, dbURL)
	if err != nil {
		return err
	}
	for _, st := range status {
		fmt.Fprintf(stdout, "schema %s, %s migrations: version %d of %d (dirty=%t)\n", db.Name, st.Name, st.Current, st.Latest, st.Dirty)
	}
	return nil
}

func serve(ctx context.Context, stdout io.Writer) error {
	e := config.FromEnv()
	cfg := server.LoadConfig(e)
	if err := e.Err(); err != nil {
		return err
	}
	logger := logging.New(stdout, cfg.Common.LogLevel, "gateway")

	shutdownTracing, err := telemetry.Setup(ctx, "gateway", cfg.Common.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.Background()) }()

	if err := migrations.Database().RequireCurrent(ctx, cfg.Common.DatabaseURL); err != nil {
		return fmt.Errorf("refusing to serve: %w", err)
	}
	pool, err := postgres.Open(ctx, postgres.Config{URL: cfg.Common.DatabaseURL, Role: cfg.Common.DBRole, MaxConns: 32})
	if err != nil {
		return err
	}
	defer pool.Close()

	redisOpts, err := redis.ParseURL(cfg.Common.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	// Short timeouts: a rate-limit decision that waits on a sick Redis
	// delays every request; failing fast lets the fail-open policy apply.
	redisOpts.DialTimeout = time.Second
	redisOpts.ReadTimeout = 500 * time.Millisecond
	redisOpts.WriteTimeout = 500 * time.Millisecond
	redisOpts.MaxRetries = 1
	rdb := redis.NewClient(redisOpts)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		logger.WarnContext(ctx, "Redis unreachable at start; rate limits fail open (auth routes closed) until it is back", "error", err)
	}

	// Ended sessions are followed from Redis into memory (auth.Revocations):
	// the verifier and the token cache check them with a map lookup.
	revocations, err := auth.NewRevocations(auth.RevocationsConfig{Redis: rdb, Logger: logger})
	if err != nil {
		return err
	}
	verifier := auth.NewVerifier(auth.VerifierConfig{
		JWKSURL: cfg.Common.JWKSURL, Issuer: cfg.Common.JWTIssuer, Audience: cfg.Common.JWTAudience,
	}, auth.WithRevocations(revocations))

	resolver, consul, err := newResolver(cfg, logger)
	if err != nil {
		return err
	}

	var transport http.RoundTripper = proxy.NewTransport()
	if cfg.Common.OTLPEndpoint != "" {
		transport = otelhttp.NewTransport(transport)
	}
	srv, err := server.New(server.Deps{
		Config: cfg, Logger: logger, Pool: pool, Redis: rdb, Verifier: verifier,
		Resolver: resolver, Metrics: telemetry.NewMetrics("gateway"), OpenAPI: gateway.OpenAPI,
		Transport: transport, Revocations: revocations,
	})
	if err != nil {
		return err
	}
	handler := srv.Handler()
	if cfg.Common.OTLPEndpoint != "" {
		// Spans cost allocations on the hot path; with no collector the
		// traceparent header still passes through untouched to the services.
		handler = telemetry.Trace("gateway")(handler)
	}

	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	revocationsDone := make(chan struct{})
	go func() { defer close(revocationsDone); _ = revocations.Run(bg) }()
	defer func() { stopBG(); <-revocationsDone }()
	// Until the first load every access token is a 503 (an empty set cannot
	// vouch for a session); give Redis a moment, as for Consul below.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := revocations.WaitLoaded(wctx); err != nil {
		logger.WarnContext(ctx, "session revocations not loaded yet: access tokens are refused (503) until Redis answers", "error", err)
	}
	cancel()
	go srv.Run(bg)
	telemetry.ServePprof(bg, cfg.Common.PprofAddr, logger)
	if consul != nil {
		go consul.Run(bg)
		// Give Consul a moment so the first requests see instances, not 503s.
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := consul.WaitReady(wctx); err != nil {
			logger.WarnContext(ctx, "consul: not every service looked up yet; continuing", "error", err)
		}
		cancel()
	}

	httpSrv := &http.Server{
		Addr:              cfg.Common.HTTPAddr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// No ReadTimeout or WriteTimeout: they bound whole exchanges and
		// would cut long uploads, downloads and SSE streams. The handler
		// bounds each pause of the client instead (BODY_IDLE_TIMEOUT).
	}
	// Start-up garbage (OpenAPI document, migration check) would stay mapped
	// for minutes; return it so the idle footprint is what serving needs.
	debug.FreeOSMemory()
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.ListenAndServe() }()
	logger.InfoContext(ctx, "gateway listening", "addr", cfg.Common.HTTPAddr, "mode", cfg.Common.Mode,
		"discovery", map[bool]string{true: "consul", false: "static"}[cfg.ConsulAddr != ""])

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.Common.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Common.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		// Long-lived streams (SSE) outlast any grace period; cut them.
		_ = httpSrv.Close()
	}
	return nil
}

// newResolver picks Consul when CONSUL_HTTP_ADDR is set, else the static
// GATEWAY_UPSTREAMS; the Consul resolver is returned twice so the caller can
// start its watchers.
func newResolver(cfg server.Config, logger *slog.Logger) (discovery.Resolver, *discovery.Consul, error) {
	table, err := routing.NewTable(routing.DefaultRoutes())
	if err != nil {
		return nil, nil, err
	}
	if cfg.ConsulAddr == "" {
		s, err := discovery.ParseStatic(cfg.Upstreams, table.Upstreams())
		if err != nil {
			return nil, nil, fmt.Errorf("GATEWAY_UPSTREAMS: %w", err)
		}
		return s, nil, nil
	}
	c, err := discovery.NewConsul(discovery.ConsulConfig{
		Address: cfg.ConsulAddr, Token: cfg.ConsulToken, Services: table.Upstreams(), Logger: logger,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("CONSUL_HTTP_ADDR: %w", err)
	}
	return c, c, nil
}
