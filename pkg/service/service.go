// Package service is the one way a Real Estate OS service binary starts: it
// reads the shared configuration, runs the subcommands every service has
// (`serve`, `migrate up|status`, `seed`) and the service's own
// (Spec.Commands), opens the pools, mounts the
// operational endpoints, runs the outbox relay and the service's background
// workers beside the HTTP server, and shuts them down in order (server
// first). A service supplies only what is its own: its schema, its
// configuration, the wiring of its handler and its workers.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"sigs.k8s.io/yaml"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/config"
	"reos.dev/pkg/events"
	"reos.dev/pkg/health"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/routes"
	"reos.dev/pkg/telemetry"
)

// Spec describes one service binary. C is the service's own configuration.
type Spec[C any] struct {
	// Name names the service in logs, metrics and traces, and the binary in
	// messages ("identity").
	Name string
	// DefaultAddr is HTTP_ADDR when unset ("127.0.0.1:8101").
	DefaultAddr string
	// Database is migrated by `migrate up` and must be current for serve and seed.
	Database postgres.Schema
	// Outbox runs the events relay for Database.Name beside the HTTP server.
	Outbox bool
	// LoadConfig reads the service's own variables; problems are recorded in
	// e, which the runner reports together with the shared ones. Nil when the
	// service has none.
	LoadConfig func(e *config.Env, common config.Common) C
	// Build wires the service. Serve and seed call it once.
	Build func(ctx context.Context, rt Runtime[C]) (App, error)
	// WriteTimeout bounds how long one write of a response may wait for
	// the client to take it (a client that stops reading is cut), not the
	// whole response, so long downloads and streams go through; 0 means none.
	WriteTimeout time.Duration
	// Commands are the service's own operator subcommands, by name, beside
	// the built-in ones (which they cannot replace); help lists them.
	Commands map[string]Command[C]
}

// Runtime is what the runner hands to Build.
type Runtime[C any] struct {
	Config C
	Common config.Common
	Logger *slog.Logger
	Pool   *pgxpool.Pool
	Redis  *redis.Client
	// Revocations is the session revocation feed: Verifier checks access
	// tokens with it, identity writes to it. While serving it follows
	// Redis (a readiness check "revocations" reports the feed); for seed it
	// is not started.
	Revocations *auth.Revocations
	Metrics     *telemetry.Metrics
	// Health already checks Postgres, Redis and the broker; Build may add more.
	Health *health.Checker
	// Serving is false when Build runs for `seed`.
	Serving bool
}

// App is what Build returns.
type App struct {
	// Handler serves the service's routes (the runner adds nothing to it).
	Handler http.Handler
	// Seed creates the demo data idempotently, reporting to out; nil means
	// the service has none (`seed` then says so and succeeds, so `make up`
	// can seed every service alike).
	Seed func(ctx context.Context, out io.Writer) error
	// LogAttrs are added to the "listening" log line.
	LogAttrs []any
	// Workers run beside the HTTP server while serving (seed never starts
	// them; Build can tell from Runtime.Serving). Each starts in its own
	// goroutine after Build, once the listener is open, with a context that
	// is cancelled on shutdown after the HTTP server has stopped (as the
	// relay's), and must then return promptly. A worker that returns an
	// error while serving ends serve with that error (a worker that cannot
	// do its job must not leave a half-working service running); returning
	// nil, or an error matching context.Canceled after its context ended,
	// is a clean stop (a worker that returns nil early has simply finished;
	// serve goes on).
	Workers []Worker
}

// Worker is a named background task of a service: an events consumer, a
// scheduler. Run blocks until ctx is done or the worker fails.
type Worker struct {
	// Name identifies the worker in logs and errors ("property-read-model").
	Name string
	Run  func(ctx context.Context) error
}

// Server timeouts shared by every service. readIdleTimeout bounds each
// pause of a request body (httpx.IdleDeadlines), not the whole body, so a
// slow multi-minute upload goes through and a stalled one is cut.
const (
	readHeaderTimeout = 5 * time.Second
	readIdleTimeout   = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

// Main runs the binary with os.Args and exits non-zero on failure.
func Main[C any](spec Spec[C]) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, spec, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", spec.Name, err)
		os.Exit(1)
	}
}

// Usage is the subcommand summary every service prints, with a line for
// each of the service's own commands.
func (s Spec[C]) Usage() string {
	names := slices.Sorted(maps.Keys(s.Commands))
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s [serve | migrate up | migrate status | seed", s.Name)
	for _, n := range names {
		b.WriteString(" | " + n)
	}
	b.WriteString("]")
	for _, n := range names {
		c := s.Commands[n]
		fmt.Fprintf(&b, "\n  %s %s\n      %s", n, c.Args, c.Summary)
	}
	return b.String()
}

// Run executes one subcommand: serve (default), migrate up|status, seed,
// help, or one of spec.Commands. Logs go to stderr, command output to
// stdout.
func Run[C any](ctx context.Context, spec Spec[C], args []string, stdout, stderr io.Writer) error {
	if err := checkCommands(spec.Commands); err != nil {
		return err
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if c, ok := spec.Commands[cmd]; ok {
		return runCommand(ctx, spec, cmd, c, args[1:], stdout, stderr)
	}
	switch {
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprintln(stdout, spec.Usage())
		return nil
	case cmd == "serve" && len(args) <= 1,
		cmd == "seed" && len(args) == 1,
		cmd == "migrate" && len(args) == 2 && (args[1] == "up" || args[1] == "status"):
	default:
		return fmt.Errorf("unknown command %q\n%s", args, spec.Usage())
	}
	common, cfg, err := LoadConfig(spec, config.FromEnv())
	if err != nil {
		return err
	}
	logger := logging.New(stderr, common.LogLevel, spec.Name)
	switch cmd {
	case "migrate":
		if args[1] == "up" {
			if err := spec.Database.Migrate(ctx, common.DatabaseURL); err != nil {
				return err
			}
		}
		return printStatus(ctx, spec.Database, common.DatabaseURL, stdout)
	case "seed":
		return seed(ctx, spec, common, cfg, logger, stdout)
	default:
		return serve(ctx, spec, common, cfg, logger)
	}
}

// LoadConfig reads the shared variables (DATABASE_URL required, DB_MAX_CONNS
// at least 2 because the relay holds one connection) and the service's own,
// and names every bad variable in one error.
func LoadConfig[C any](spec Spec[C], e *config.Env) (config.Common, C, error) {
	common := config.LoadCommon(e, spec.Name, spec.DefaultAddr)
	e.Required("DATABASE_URL")
	var cfg C
	if spec.LoadConfig != nil {
		cfg = spec.LoadConfig(e, common)
	}
	return common, cfg, e.Err()
}

func printStatus(ctx context.Context, db postgres.Schema, url string, out io.Writer) error {
	st, err := db.Status(ctx, url)
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
		fmt.Fprintf(out, "%-12s schema %s version %d of %d (%s)\n", s.Name, db.Name, s.Current, s.Latest, state)
	}
	return nil
}

func newRedis(common config.Common) (*redis.Client, error) {
	opts, err := redis.ParseURL(common.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return redis.NewClient(opts), nil
}

func openPool(ctx context.Context, db postgres.Schema, common config.Common) (*pgxpool.Pool, error) {
	if err := db.RequireCurrent(ctx, common.DatabaseURL); err != nil {
		return nil, fmt.Errorf("refusing to start: %w", err)
	}
	return postgres.Open(ctx, postgres.Config{URL: common.DatabaseURL, Role: common.DBRole, MaxConns: common.DBMaxConns})
}

func seed[C any](ctx context.Context, spec Spec[C], common config.Common, cfg C, logger *slog.Logger, out io.Writer) error {
	pool, err := openPool(ctx, spec.Database, common)
	if err != nil {
		return err
	}
	defer pool.Close()
	// Seeding revokes no session, but identity's wiring needs the feed; a
	// client connects only when used.
	rdb, err := newRedis(common)
	if err != nil {
		return err
	}
	defer rdb.Close()
	revocations, err := newRevocations(rdb, logger)
	if err != nil {
		return err
	}
	app, err := spec.Build(ctx, Runtime[C]{Config: cfg, Common: common, Logger: logger, Pool: pool, Redis: rdb,
		Revocations: revocations, Metrics: telemetry.NewMetrics(spec.Name), Health: health.New(logger)})
	if err != nil {
		return err
	}
	if app.Seed == nil {
		_, err := fmt.Fprintf(out, "%s has no demo data to seed\n", spec.Name)
		return err
	}
	return app.Seed(ctx, out)
}

func serve[C any](ctx context.Context, spec Spec[C], common config.Common, cfg C, logger *slog.Logger) error {
	shutdownTelemetry, err := telemetry.Setup(ctx, spec.Name, common.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), common.ShutdownTimeout)
		defer cancel()
		if err := shutdownTelemetry(sctx); err != nil {
			logger.Warn("telemetry shutdown", "error", err)
		}
	}()

	pool, err := openPool(ctx, spec.Database, common)
	if err != nil {
		return err
	}
	defer pool.Close()
	rdb, err := newRedis(common)
	if err != nil {
		return err
	}
	defer rdb.Close()
	revocations, err := newRevocations(rdb, logger)
	if err != nil {
		return err
	}

	checks := health.New(logger)
	checks.Add("postgres", health.PingPostgres(pool))
	checks.Add("redis", health.PingRedis(rdb))
	checks.Add("kafka", health.DialKafka(common.KafkaBrokers))
	checks.Add("revocations", revocations.Ready)

	app, err := spec.Build(ctx, Runtime[C]{Config: cfg, Common: common, Logger: logger, Pool: pool, Redis: rdb,
		Revocations: revocations, Metrics: telemetry.NewMetrics(spec.Name), Health: checks, Serving: true})
	if err != nil {
		return err
	}
	for i, w := range app.Workers {
		if w.Run == nil {
			return fmt.Errorf("worker %d (%q) has no Run", i, w.Name)
		}
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	telemetry.ServePprof(bg, common.PprofAddr, logger)
	revocationsDone := startRevocations(bg, revocations, logger)
	defer func() { stopBG(); <-revocationsDone }()

	// The relay lives as long as the server: it stops after the last request
	// has been answered, so their events are still published.
	var relayDone chan error // nil without a relay: never ready in a select
	if spec.Outbox {
		relay, err := events.NewRelay(events.RelayConfig{Pool: pool, Schema: spec.Database.Name, Brokers: common.KafkaBrokers, Logger: logger})
		if err != nil {
			return err
		}
		relayDone = make(chan error, 1)
		go func() { relayDone <- relay.Run(bg) }()
	}

	ln, err := net.Listen("tcp", common.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	workerErr, workersDone := startWorkers(bg, app.Workers, logger)
	// Start-up (migration check, key and document parsing) leaves garbage the
	// runtime would keep mapped for minutes; return it now, so an idle
	// service's footprint is what it needs to serve.
	debug.FreeOSMemory()
	httpSrv := &http.Server{
		// No ReadTimeout or WriteTimeout: they bound whole exchanges and
		// would cut long uploads and downloads however steady.
		Handler:           httpx.IdleDeadlines(readIdleTimeout, spec.WriteTimeout)(app.Handler),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	logger.Info(spec.Name+" listening", append([]any{"addr", ln.Addr().String(), "mode", common.Mode}, app.LogAttrs...)...)

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "timeout", common.ShutdownTimeout.String())
	case err := <-serveErr:
		runErr = fmt.Errorf("http server: %w", err)
	case err := <-relayDone:
		relayDone <- err // read again below
		runErr = fmt.Errorf("outbox relay stopped: %w", err)
	case err := <-workerErr:
		runErr = err
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), common.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("http shutdown: %w", err))
	}
	stopBG()
	if relayDone != nil {
		select {
		case err := <-relayDone:
			if err != nil && runErr == nil {
				runErr = err
			}
		case <-sctx.Done():
			runErr = errors.Join(runErr, errors.New("outbox relay did not stop in time"))
		}
	}
	select {
	case <-workersDone:
	case <-sctx.Done():
		runErr = errors.Join(runErr, errors.New("workers did not stop in time"))
	}
	// Errors of workers that failed while stopping (the first failure, if
	// any, is already in runErr).
	for {
		select {
		case err := <-workerErr:
			if runErr == nil {
				runErr = err
			}
		default:
			return runErr
		}
	}
}

// startWorkers runs each worker in its own goroutine with ctx. A worker's
// failure is sent on errs (buffered for all of them); done closes when every
// worker has returned.
func startWorkers(ctx context.Context, workers []Worker, logger *slog.Logger) (errs <-chan error, done <-chan struct{}) {
	errc := make(chan error, len(workers))
	donec := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			logger.Info("worker started", "worker", w.Name)
			err := w.Run(ctx)
			if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
				err = nil
			}
			if err != nil {
				logger.Error("worker failed", "worker", w.Name, "error", err)
				errc <- fmt.Errorf("worker %s stopped: %w", w.Name, err)
				return
			}
			logger.Info("worker stopped", "worker", w.Name)
		})
	}
	go func() { wg.Wait(); close(donec) }()
	return errc, donec
}

// MountOperational adds the endpoints every service serves outside /api/v1:
// /healthz, /readyz, /metrics and /openapi.json (the document the gateway
// merges).
func MountOperational(r *mux.Router, checks *health.Checker, metrics *telemetry.Metrics, openAPIJSON []byte) {
	r.Handle("/healthz", checks.Healthz()).Methods(http.MethodGet)
	r.Handle("/readyz", checks.Readyz()).Methods(http.MethodGet)
	r.Handle("/metrics", metrics.Handler()).Methods(http.MethodGet)
	doc := append([]byte(nil), openAPIJSON...)
	r.Handle("/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(doc)
	})).Methods(http.MethodGet)
}

// OperationalPaths returns the paths MountOperational serves; route/OpenAPI
// conformance checks leave them out (the gateway documents its own).
func OperationalPaths() []string { return routes.OperationalPaths() }

// OpenAPIJSON converts a service's embedded openapi.yaml to the JSON it
// serves at /openapi.json, merging in the fragments of shared APIs the
// service also serves (jobs.OpenAPI): their paths, tags and components. A
// path or component a fragment defines differently from the document is an
// error; one defined identically is kept once.
func OpenAPIJSON(yamlDoc []byte, fragments ...[]byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(yamlDoc, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	for i, f := range fragments {
		var frag map[string]any
		if err := yaml.Unmarshal(f, &frag); err != nil {
			return nil, fmt.Errorf("openapi fragment %d: %w", i, err)
		}
		if err := mergeOpenAPI(doc, frag); err != nil {
			return nil, fmt.Errorf("openapi fragment %d: %w", i, err)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return out, nil
}

func mergeOpenAPI(doc, frag map[string]any) error {
	if err := mergeMap(doc, frag, "paths"); err != nil {
		return err
	}
	if fc, ok := frag["components"].(map[string]any); ok {
		dc, _ := doc["components"].(map[string]any)
		if dc == nil {
			dc = map[string]any{}
			doc["components"] = dc
		}
		for section := range fc {
			if err := mergeMap(dc, fc, section); err != nil {
				return fmt.Errorf("components: %w", err)
			}
		}
	}
	if ft, ok := frag["tags"].([]any); ok {
		dt, _ := doc["tags"].([]any)
		for _, tag := range ft {
			if !slices.ContainsFunc(dt, func(t any) bool { return reflect.DeepEqual(t, tag) }) {
				dt = append(dt, tag)
			}
		}
		doc["tags"] = dt
	}
	return nil
}

// mergeMap adds src[key]'s entries to dst[key].
func mergeMap(dst, src map[string]any, key string) error {
	from, ok := src[key].(map[string]any)
	if !ok {
		return nil
	}
	into, _ := dst[key].(map[string]any)
	if into == nil {
		into = map[string]any{}
		dst[key] = into
	}
	for name, v := range from {
		if have, dup := into[name]; dup && !reflect.DeepEqual(have, v) {
			return fmt.Errorf("%s %q is defined differently", key, name)
		}
		into[name] = v
	}
	return nil
}
