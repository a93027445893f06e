// Package jobs is the one way a service runs background work (ARCHITECTURE
// rule 4): River over Postgres, with River's tables in the service's own
// schema, the three shared queues, at most three attempts with exponential
// backoff, jobs enqueued in the transaction of the change that causes them,
// side effects keyed so a retried or replayed job never repeats one, and
// the internal jobs API (list, get, cancel, retry, replay) every service
// serves alike.
//
// A job that exhausts its attempts is discarded by River; the discarded jobs
// are the dead-letter queue, and replaying one inserts a fresh job with the
// same arguments.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"reos.dev/pkg/config"
)

// The shared queues.
const (
	QueueHigh    = "high_priority"
	QueueDefault = river.QueueDefault
	QueueLow     = "low_priority"
)

// MaxAttempts is how often a job runs before it is discarded (dead-lettered).
const MaxAttempts = 3

// Defaults of Config.
const (
	DefaultRetryBase    = 2 * time.Second
	DefaultPollInterval = time.Second
	DefaultJobTimeout   = 30 * time.Minute
	maxRetryDelay       = time.Hour
	stopTimeout         = 20 * time.Second
)

// DefaultConcurrency is how many jobs of each queue one process works at once.
var DefaultConcurrency = map[string]int{QueueHigh: 8, QueueDefault: 4, QueueLow: 2}

// Args is what every job carries: its kind (River's) and the org it works
// for. The org is recorded in the job's metadata, which is what the jobs API
// filters on, so a caller only ever sees its own org's jobs.
type Args interface {
	river.JobArgs
	Org() uuid.UUID
}

// Config configures New.
type Config struct {
	// Pool is the service role's pool.
	Pool *pgxpool.Pool
	// Schema holds River's tables (the service's own schema).
	Schema string
	Logger *slog.Logger
	// Workers are the service's workers. Nil makes an insert-only queue
	// (seed, or a process that only enqueues): Run then returns at once.
	Workers *river.Workers
	// Concurrency per queue; missing queues take DefaultConcurrency.
	Concurrency map[string]int
	Settings
}

// Settings are the knobs a binary reads from its environment (LoadSettings).
type Settings struct {
	// RetryBase is the delay before the second attempt; each further one
	// doubles it (DefaultRetryBase when zero).
	RetryBase time.Duration
	// PollInterval is how often an idle queue looks for due jobs besides
	// the notifications River listens to (DefaultPollInterval when zero).
	PollInterval time.Duration
	// JobTimeout bounds one attempt unless the worker says otherwise
	// (DefaultJobTimeout when zero).
	JobTimeout time.Duration
}

// LoadSettings reads JOBS_RETRY_BASE, JOBS_POLL_INTERVAL and
// JOBS_TIMEOUT (durations such as "2s"), recording problems in e.
func LoadSettings(e *config.Env) Settings {
	s := Settings{
		RetryBase:    e.Duration("JOBS_RETRY_BASE", DefaultRetryBase),
		PollInterval: e.Duration("JOBS_POLL_INTERVAL", DefaultPollInterval),
		JobTimeout:   e.Duration("JOBS_TIMEOUT", DefaultJobTimeout),
	}
	for name, d := range map[string]time.Duration{"JOBS_RETRY_BASE": s.RetryBase, "JOBS_POLL_INTERVAL": s.PollInterval, "JOBS_TIMEOUT": s.JobTimeout} {
		if d == 0 {
			e.Check(name, errors.New("must be a positive duration"))
		}
	}
	return s
}

// Queue is a service's River client with the shared settings.
type Queue struct {
	client  *river.Client[pgx.Tx]
	pool    *pgxpool.Pool
	schema  string
	working bool
	logger  *slog.Logger
}

// New returns the service's queue.
func New(cfg Config) (*Queue, error) {
	var errs []error
	if cfg.Pool == nil {
		errs = append(errs, errors.New("nil Pool"))
	}
	if cfg.Schema == "" {
		errs = append(errs, errors.New("empty Schema"))
	}
	if cfg.Logger == nil {
		errs = append(errs, errors.New("nil Logger"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	rc := &river.Config{
		Schema:            cfg.Schema,
		Logger:            cfg.Logger.With("component", "jobs"),
		MaxAttempts:       MaxAttempts,
		RetryPolicy:       backoff{base: cfg.RetryBase},
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     min(cfg.PollInterval, 100*time.Millisecond),
		JobTimeout:        cfg.JobTimeout,
	}
	if cfg.Workers != nil {
		rc.Workers = cfg.Workers
		rc.Queues = make(map[string]river.QueueConfig, len(DefaultConcurrency))
		for name, n := range DefaultConcurrency {
			if c, ok := cfg.Concurrency[name]; ok && c > 0 {
				n = c
			}
			rc.Queues[name] = river.QueueConfig{MaxWorkers: n}
		}
	}
	client, err := river.NewClient(riverpgxv5.New(cfg.Pool), rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{client: client, pool: cfg.Pool, schema: cfg.Schema, working: cfg.Workers != nil, logger: cfg.Logger}, nil
}

// Client is the River client, for what this package does not wrap.
func (q *Queue) Client() *river.Client[pgx.Tx] { return q.client }

// Insert enqueues args in tx, the transaction of the change that causes
// the job, so the job exists exactly when the change commits. The org is
// added to the job's metadata.
func (q *Queue) Insert(ctx context.Context, tx pgx.Tx, args Args, opts *river.InsertOpts) (*rivertype.JobRow, error) {
	o, err := withOrg(opts, args.Org(), nil)
	if err != nil {
		return nil, err
	}
	res, err := q.client.InsertTx(ctx, tx, args, o)
	if err != nil {
		return nil, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return res.Job, nil
}

// withOrg returns a copy of opts whose metadata also holds org_id (and
// extra's keys).
func withOrg(opts *river.InsertOpts, org uuid.UUID, extra map[string]any) (*river.InsertOpts, error) {
	var o river.InsertOpts
	if opts != nil {
		o = *opts
	}
	meta := map[string]any{}
	if len(o.Metadata) > 0 {
		if err := json.Unmarshal(o.Metadata, &meta); err != nil {
			return nil, fmt.Errorf("jobs: insert metadata: %w", err)
		}
	}
	for k, v := range extra {
		meta[k] = v
	}
	meta[metaOrg] = org.String()
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("jobs: insert metadata: %w", err)
	}
	o.Metadata = b
	return &o, nil
}

// Metadata keys this package writes.
const (
	metaOrg      = "org_id"
	metaProgress = "progress"
	metaReplayOf = "replay_of"
)

// SetProgress records a running job's progress in its metadata (shown by
// the jobs API as "progress"), outside any transaction of the job's so it
// is visible at once; progress must marshal to JSON.
func (q *Queue) SetProgress(ctx context.Context, jobID int64, progress any) error {
	b, err := json.Marshal(progress)
	if err != nil {
		return fmt.Errorf("jobs: progress: %w", err)
	}
	_, err = q.pool.Exec(ctx, "UPDATE "+pgx.Identifier{q.schema, "river_job"}.Sanitize()+
		" SET metadata = jsonb_set(metadata, '{"+metaProgress+"}', $2::jsonb) WHERE id = $1", jobID, b)
	if err != nil {
		return fmt.Errorf("jobs: progress of job %d: %w", jobID, err)
	}
	return nil
}

// Run works the queue until ctx ends, then stops: jobs in flight get
// stopTimeout to finish before they are cancelled (a cancelled attempt is
// retried later). An insert-only queue returns nil at once.
func (q *Queue) Run(ctx context.Context) error {
	if !q.working {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-q.client.Stopped():
		return errors.New("jobs: the River client stopped by itself")
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if err := q.client.Stop(sctx); err != nil {
		q.logger.Warn("jobs: soft stop timed out; cancelling jobs in flight", "error", err)
		hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
		defer hcancel()
		if err := q.client.StopAndCancel(hctx); err != nil {
			return fmt.Errorf("jobs: stop: %w", err)
		}
	}
	return ctx.Err()
}

// backoff retries after base, 2·base, 4·base … (capped at an hour) counted
// from the failed attempt.
type backoff struct{ base time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.delay(job.Attempt))
}

func (b backoff) delay(attempt int) time.Duration {
	exp := float64(b.base) * math.Pow(2, float64(max(attempt, 1)-1))
	if exp > float64(maxRetryDelay) {
		return maxRetryDelay
	}
	return time.Duration(exp)
}
