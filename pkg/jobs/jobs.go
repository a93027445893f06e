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
//
// No attempt runs longer than Settings.JobTimeout, and an attempt whose
// process died is rescued Settings.RescueAfter after it began (steps.go,
// rescue.go), so a crash costs seconds, not River's default hour. Work
// longer than one attempt may take runs as a chain of steps: each does a
// bounded share, commits its checkpoint and enqueues its successor in one
// transaction (Continue), and ends.
package jobs

import (
	"cmp"
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

// Defaults of Settings. A step of DefaultStepTime leaves room in
// DefaultJobTimeout for the work in flight when its time is up (a few
// batches of an import on a loaded machine) to commit; the rescue window
// exceeds the timeout by the time a timed-out attempt needs to roll back;
// together with DefaultRescueInterval an attempt whose process died is
// available again at most half a minute after it began.
const (
	DefaultRetryBase = 2 * time.Second
	// DefaultDeadLetterRetention is how long discarded jobs (the
	// dead-letter queue) are kept; River's own default is 7 days.
	DefaultDeadLetterRetention = 30 * 24 * time.Hour
	DefaultPollInterval        = time.Second
	DefaultJobTimeout          = 20 * time.Second
	DefaultStepTime            = 5 * time.Second
	DefaultRescueAfter         = 25 * time.Second
	DefaultRescueInterval      = 5 * time.Second
	maxRetryDelay              = time.Hour
	stopTimeout                = 20 * time.Second
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
	// JobTimeout bounds every attempt: its context ends then, whatever
	// the worker's own Timeout says (DefaultJobTimeout when zero).
	JobTimeout time.Duration
	// StepTime is the share of an attempt a step of a long job works
	// before it commits its checkpoint and hands over to its successor
	// (StepOver, Continue); at most half of JobTimeout (DefaultStepTime
	// when zero).
	StepTime time.Duration
	// RescueAfter is how long after its start an attempt still running is
	// taken for dead (its process crashed) and its job made available
	// again; longer than JobTimeout, so no live attempt is rescued
	// (DefaultRescueAfter when zero).
	RescueAfter time.Duration
	// RescueInterval is how often a working process looks for such
	// attempts (DefaultRescueInterval when zero); at most RescueAfter.
	RescueInterval time.Duration
	// DeadLetterRetention is how long a discarded job stays in the
	// dead-letter queue before River's cleaner deletes it
	// (DefaultDeadLetterRetention when zero).
	DeadLetterRetention time.Duration
}

// Environment variables of Settings.
const (
	envRetryBase      = "JOBS_RETRY_BASE"
	envPollInterval   = "JOBS_POLL_INTERVAL"
	envJobTimeout     = "JOBS_TIMEOUT"
	envStepTime       = "JOBS_STEP_TIME"
	envRescueAfter    = "JOBS_RESCUE_AFTER"
	envRescueInterval = "JOBS_RESCUE_INTERVAL"
	envDLQRetention   = "JOBS_DLQ_RETENTION"
)

// LoadSettings reads JOBS_RETRY_BASE, JOBS_POLL_INTERVAL, JOBS_TIMEOUT,
// JOBS_STEP_TIME, JOBS_RESCUE_AFTER and JOBS_RESCUE_INTERVAL (durations
// such as "2s"), recording problems in e, those of Validate included.
func LoadSettings(e *config.Env) Settings {
	s := Settings{
		RetryBase:           e.Duration(envRetryBase, DefaultRetryBase),
		PollInterval:        e.Duration(envPollInterval, DefaultPollInterval),
		JobTimeout:          e.Duration(envJobTimeout, DefaultJobTimeout),
		StepTime:            e.Duration(envStepTime, DefaultStepTime),
		RescueAfter:         e.Duration(envRescueAfter, DefaultRescueAfter),
		RescueInterval:      e.Duration(envRescueInterval, DefaultRescueInterval),
		DeadLetterRetention: e.Duration(envDLQRetention, DefaultDeadLetterRetention),
	}
	zero := false
	for _, v := range []struct {
		name string
		d    time.Duration
	}{
		{envRetryBase, s.RetryBase}, {envPollInterval, s.PollInterval}, {envJobTimeout, s.JobTimeout},
		{envStepTime, s.StepTime}, {envRescueAfter, s.RescueAfter}, {envRescueInterval, s.RescueInterval},
		{envDLQRetention, s.DeadLetterRetention},
	} {
		if v.d == 0 {
			e.Check(v.name, errors.New("must be a positive duration"))
			zero = true
		}
	}
	if !zero {
		for _, p := range s.problems() {
			e.Check(p.name, p.err)
		}
	}
	return s
}

// withDefaults fills the zero settings with the defaults.
func (s Settings) withDefaults() Settings {
	s.RetryBase = cmp.Or(max(s.RetryBase, 0), DefaultRetryBase)
	s.PollInterval = cmp.Or(max(s.PollInterval, 0), DefaultPollInterval)
	s.JobTimeout = cmp.Or(max(s.JobTimeout, 0), DefaultJobTimeout)
	s.StepTime = cmp.Or(max(s.StepTime, 0), DefaultStepTime)
	s.RescueAfter = cmp.Or(max(s.RescueAfter, 0), DefaultRescueAfter)
	s.RescueInterval = cmp.Or(max(s.RescueInterval, 0), DefaultRescueInterval)
	s.DeadLetterRetention = cmp.Or(max(s.DeadLetterRetention, 0), DefaultDeadLetterRetention)
	return s
}

// Validate reports settings (zero ones taking the defaults) that would
// make crash recovery unsafe or slow, naming each one's variable.
func (s Settings) Validate() error {
	var errs []error
	for _, p := range s.withDefaults().problems() {
		errs = append(errs, fmt.Errorf("%s: %w", p.name, p.err))
	}
	return errors.Join(errs...)
}

type settingProblem struct {
	name string
	err  error
}

// problems checks the relations between the settings (all positive).
func (s Settings) problems() []settingProblem {
	var out []settingProblem
	if s.StepTime > s.JobTimeout/2 {
		out = append(out, settingProblem{envStepTime, fmt.Errorf(
			"%s is more than half %s (%s): the work in flight when a step's time is up needs the rest of the attempt to commit", s.StepTime, envJobTimeout, s.JobTimeout)})
	}
	if s.RescueAfter <= s.JobTimeout {
		out = append(out, settingProblem{envRescueAfter, fmt.Errorf(
			"%s must be longer than %s (%s): an attempt still running would be rescued and its job run twice at once", s.RescueAfter, envJobTimeout, s.JobTimeout)})
	}
	if s.RescueInterval > s.RescueAfter {
		out = append(out, settingProblem{envRescueInterval, fmt.Errorf(
			"%s is longer than %s (%s): a crashed attempt would wait that long again to be rescued", s.RescueInterval, envRescueAfter, s.RescueAfter)})
	}
	return out
}

// Queue is a service's River client with the shared settings.
type Queue struct {
	client   *river.Client[pgx.Tx]
	pool     *pgxpool.Pool
	schema   string
	working  bool
	logger   *slog.Logger
	settings Settings
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
	errs = append(errs, cfg.Settings.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	cfg.Settings = cfg.Settings.withDefaults()
	rc := &river.Config{
		Schema:            cfg.Schema,
		Logger:            cfg.Logger.With("component", "jobs"),
		MaxAttempts:       MaxAttempts,
		RetryPolicy:       backoff{base: cfg.RetryBase},
		FetchPollInterval: cfg.PollInterval,
		FetchCooldown:     min(cfg.PollInterval, 100*time.Millisecond),
		JobTimeout:        cfg.JobTimeout,
		// River's own rescuer looks only every 30 s, in the leader (the
		// interval is not configurable): the queue's rescuer (rescue.go)
		// looks every RescueInterval. River's stays as a backstop with
		// twice the window, so the two never race for one job and every
		// rescue follows one policy.
		RescueStuckJobsAfter:        2 * cfg.RescueAfter,
		DiscardedJobRetentionPeriod: cfg.DeadLetterRetention,
		Middleware:                  []rivertype.Middleware{&attemptBounds{timeout: cfg.JobTimeout, step: cfg.StepTime}},
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
	return &Queue{client: client, pool: cfg.Pool, schema: cfg.Schema, working: cfg.Workers != nil, logger: cfg.Logger,
		settings: cfg.Settings}, nil
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
	metaOrg         = "org_id"
	metaProgress    = "progress"
	metaReplayOf    = "replay_of"
	metaContinues   = "continues"
	metaContinuedBy = "continued_by"
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
// retried later). While it works, it rescues the attempts of crashed
// processes (rescue.go). An insert-only queue returns nil at once.
func (q *Queue) Run(ctx context.Context) error {
	if !q.working {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	rctx, stopRescue := context.WithCancel(ctx)
	rescued := make(chan struct{})
	go func() {
		defer close(rescued)
		q.rescueLoop(rctx)
	}()
	defer func() {
		stopRescue()
		<-rescued
	}()
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
