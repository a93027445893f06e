// Command identity runs the identity service.
//
//	identity [serve]        serve HTTP (refuses to start while migrations are pending)
//	identity migrate up     apply identity's and the outbox's migrations (as the schema owner)
//	identity migrate status print the schema versions
//	identity seed           create the demo organisation and users (MODE=mock only; idempotent)
//
// Configuration comes from the environment only; see config.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // user time zones validate the same on every host

	"github.com/redis/go-redis/v9"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/config"
	"reos.dev/pkg/events"
	"reos.dev/pkg/health"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/telemetry"
	"reos.dev/services/identity"
	"reos.dev/services/identity/internal/adapters/token"
	"reos.dev/services/identity/internal/server"
)

const usage = `usage: identity [serve | migrate up | migrate status | seed]`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "identity:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch {
	case cmd == "serve" && len(args) <= 1:
		cfg, err := loadConfig(config.FromEnv())
		if err != nil {
			return err
		}
		return serve(ctx, cfg, logging.New(stderr, cfg.LogLevel, server.ServiceName))
	case cmd == "migrate" && len(args) == 2 && (args[1] == "up" || args[1] == "status"):
		cfg, err := loadConfig(config.FromEnv())
		if err != nil {
			return err
		}
		if args[1] == "up" {
			return migrateUp(ctx, cfg, stdout)
		}
		return migrateStatus(ctx, cfg, stdout)
	case cmd == "seed" && len(args) == 1:
		cfg, err := loadConfig(config.FromEnv())
		if err != nil {
			return err
		}
		return seed(ctx, cfg, stdout, logging.New(stderr, cfg.LogLevel, server.ServiceName))
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", args, usage)
	}
}

func migrateUp(ctx context.Context, cfg Config, out io.Writer) error {
	if err := identity.Database().Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	return migrateStatus(ctx, cfg, out)
}

func migrateStatus(ctx context.Context, cfg Config, out io.Writer) error {
	st, err := identity.Database().Status(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	for _, s := range st {
		state := "up to date"
		switch {
		case s.Dirty:
			state = "DIRTY: a migration failed part-way"
		case s.Current < s.Latest:
			state = fmt.Sprintf("%d pending", s.Latest-s.Current)
		}
		fmt.Fprintf(out, "%-8s schema %s version %d of %d (%s)\n", s.Name, identity.Schema, s.Current, s.Latest, state)
	}
	return nil
}

// keySet loads the signing key (created if missing in mock mode only) and
// the retired public keys still to publish.
func keySet(cfg Config) (*auth.KeySet, error) {
	key, err := token.LoadSigningKey(cfg.JWTPrivateKeyPath, cfg.Mode == config.ModeMock)
	if err != nil {
		return nil, err
	}
	signer, err := auth.NewSigner(key, "")
	if err != nil {
		return nil, err
	}
	previous, err := token.LoadPreviousKeys(cfg.JWTPreviousKeysPath)
	if err != nil {
		return nil, err
	}
	return auth.NewKeySet(signer, previous...)
}

// openPool checks the schema is current, then opens the service pool.
func openPool(ctx context.Context, cfg Config) (*postgresPool, error) {
	if err := identity.Database().RequireCurrent(ctx, cfg.DatabaseURL); err != nil {
		return nil, fmt.Errorf("refusing to start: %w", err)
	}
	pool, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL, Role: cfg.DBRole, MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	return pool, nil
}

func newServer(cfg Config, pool *postgresPool, logger *slog.Logger, metrics *telemetry.Metrics, checks *health.Checker) (*server.Server, error) {
	keys, err := keySet(cfg)
	if err != nil {
		return nil, err
	}
	return server.New(server.Options{
		Pool: pool, Keys: keys, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Mode: cfg.Mode, Logger: logger,
		Metrics: metrics, Health: checks, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL,
	})
}

func seed(ctx context.Context, cfg Config, out io.Writer, logger *slog.Logger) error {
	if cfg.Mode != config.ModeMock {
		return errors.New("seed: the demo data exists only in MODE=mock")
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	srv, err := newServer(cfg, pool, logger, nil, nil)
	if err != nil {
		return err
	}
	rep, err := srv.Service.SeedDemo(ctx)
	for _, line := range rep.Lines {
		fmt.Fprintln(out, "seed:", line)
	}
	if err != nil {
		return err
	}
	if !rep.Changed {
		fmt.Fprintln(out, "seed: nothing to do; the demo data is already there")
	}
	return nil
}

func serve(ctx context.Context, cfg Config, logger *slog.Logger) error {
	shutdownTelemetry, err := telemetry.Setup(ctx, server.ServiceName, cfg.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := shutdownTelemetry(sctx); err != nil {
			logger.Warn("telemetry shutdown", "error", err)
		}
	}()

	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()

	redisOpts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(redisOpts)
	defer rdb.Close()

	checks := health.New(logger)
	checks.Add("postgres", health.PingPostgres(pool))
	checks.Add("redis", health.PingRedis(rdb))
	checks.Add("kafka", health.DialKafka(cfg.KafkaBrokers))

	srv, err := newServer(cfg, pool, logger, telemetry.NewMetrics(server.ServiceName), checks)
	if err != nil {
		return err
	}
	relay, err := events.NewRelay(events.RelayConfig{Pool: pool, Schema: identity.Schema, Brokers: cfg.KafkaBrokers, Logger: logger})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	// The relay lives as long as the server: it stops after the last
	// request has been answered, so their events are still published.
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	relayDone := make(chan error, 1)
	go func() { relayDone <- relay.Run(relayCtx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	logger.Info("identity listening", "addr", ln.Addr().String(), "mode", cfg.Mode, "kid", srv.Tokens.JWKS().Keys[0].Kid)

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	case err := <-serveErr:
		runErr = fmt.Errorf("http server: %w", err)
	case err := <-relayDone:
		relayDone <- err
		runErr = fmt.Errorf("outbox relay stopped: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("http shutdown: %w", err))
	}
	stopRelay()
	select {
	case err := <-relayDone:
		if err != nil && runErr == nil {
			runErr = err
		}
	case <-sctx.Done():
		runErr = errors.Join(runErr, errors.New("outbox relay did not stop in time"))
	}
	return runErr
}
