package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"reos.dev/pkg/config"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/testkit"
)

// countArgs is a long job: count Name's units from 1 to Total, Batch units
// a transaction, at most StepBatches batches a step.
type countArgs struct {
	OrgID       uuid.UUID `json:"org_id"`
	Name        string    `json:"name"`
	Total       int       `json:"total"`
	Batch       int       `json:"batch"`
	StepBatches int       `json:"step_batches"`
}

func (countArgs) Kind() string                 { return "test_count" }
func (a countArgs) Org() uuid.UUID             { return a.OrgID }
func (countArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueLow} }

// countWorker works countArgs as a step job: every batch commits its
// units with the counter's checkpoint; the batch that ends the step also
// hands over (jobs.Continue) or, at Total, completes the job. Each attempt
// records the checkpoint it began from.
type countWorker struct {
	river.WorkerDefaults[countArgs]
	pool  *pgxpool.Pool
	queue func() *jobs.Queue
	// beforeCommit runs in each batch's transaction once its work is done
	// (handover: the batch called Continue); an error rolls the batch back.
	beforeCommit func(job *river.Job[countArgs], done int, handover bool) error
	// afterCommit runs after each batch commits.
	afterCommit func(job *river.Job[countArgs], done int)
}

func (w *countWorker) Work(ctx context.Context, job *river.Job[countArgs]) error {
	a := job.Args
	if _, err := w.pool.Exec(ctx, `INSERT INTO svc.step_starts (job_id, attempt, from_n)
		SELECT $1, $2, done FROM svc.counters WHERE name = $3`, job.ID, job.Attempt, a.Name); err != nil {
		return err
	}
	for batches := 1; ; batches++ {
		var done int
		ended := false
		err := pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT done FROM svc.counters WHERE name = $1 FOR UPDATE`, a.Name).Scan(&done); err != nil {
				return err
			}
			from := done
			done = min(done+a.Batch, a.Total)
			if _, err := tx.Exec(ctx, `INSERT INTO svc.units (name, n, job_id) SELECT $1, n, $2 FROM generate_series($3::int, $4::int) n`,
				a.Name, job.ID, from+1, done); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE svc.counters SET done = $2 WHERE name = $1`, a.Name, done); err != nil {
				return err
			}
			var err error
			handover := false
			switch {
			case done == a.Total:
				ended = true
				err = jobs.Complete(ctx, tx, job)
			case batches >= a.StepBatches || jobs.StepOver(ctx):
				ended, handover = true, true
				_, err = jobs.Continue(ctx, w.queue(), tx, job, a)
			}
			if err == nil && w.beforeCommit != nil {
				err = w.beforeCommit(job, done, handover)
			}
			return err
		})
		if err != nil {
			return err
		}
		if w.afterCommit != nil {
			w.afterCommit(job, done)
		}
		if ended {
			return nil
		}
	}
}

// stepSettings are quick enough for tests and valid (Validate).
var stepSettings = jobs.Settings{
	RetryBase: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond,
	JobTimeout: 2 * time.Second, StepTime: 200 * time.Millisecond, RescueAfter: 3 * time.Second, RescueInterval: 100 * time.Millisecond,
}

func startCount(t *testing.T, pool *pgxpool.Pool, q *jobs.Queue, a countArgs) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO svc.counters (name, done) VALUES ($1, 0)`, a.Name); err != nil {
			return err
		}
		row, err := q.Insert(ctx, tx, a, nil)
		if err == nil {
			id = row.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// step is one job of a count's chain, as River stored it.
type step struct {
	ID, Continues, ContinuedBy int64 // 0: none
	State                      string
	Attempt                    int
	Errors                     []string
}

func chainOf(t *testing.T, pool *pgxpool.Pool, name string) []step {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id, coalesce((metadata->>'continues')::bigint, 0),
			coalesce((metadata->>'continued_by')::bigint, 0), state::text, attempt,
			ARRAY(SELECT e->>'error' FROM unnest(errors) e)
		FROM svc.river_job WHERE kind = 'test_count' AND args->>'name' = $1 ORDER BY id`, name)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (step, error) {
		var s step
		return s, r.Scan(&s.ID, &s.Continues, &s.ContinuedBy, &s.State, &s.Attempt, &s.Errors)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// chainDone: every step completed, the last one with the count at total.
func chainDone(t *testing.T, pool *pgxpool.Pool, name string, total int) bool {
	t.Helper()
	chain := chainOf(t, pool, name)
	for _, s := range chain {
		if s.State != "completed" {
			return false
		}
	}
	var done int
	if err := pool.QueryRow(context.Background(), `SELECT done FROM svc.counters WHERE name = $1`, name).Scan(&done); err != nil {
		t.Fatal(err)
	}
	return len(chain) > 0 && done == total
}

// expectChain checks that chain is linked, each step continuing the one
// before it and naming the one after it, and has want steps.
func expectChain(t *testing.T, chain []step, want int) {
	t.Helper()
	if len(chain) != want {
		t.Fatalf("chain %+v: %d steps, want %d", chain, len(chain), want)
	}
	for i, s := range chain {
		var prev, next int64
		if i > 0 {
			prev = chain[i-1].ID
		}
		if i < len(chain)-1 {
			next = chain[i+1].ID
		}
		if s.Continues != prev || s.ContinuedBy != next || s.State != "completed" {
			t.Fatalf("step %d of %+v: continues %d, continued by %d, %s; want %d, %d, completed", i, chain, s.Continues, s.ContinuedBy, s.State, prev, next)
		}
	}
}

// expectUnitsOnce checks that name's units are 1..total, each written once.
func expectUnitsOnce(t *testing.T, pool *pgxpool.Pool, name string, total int) {
	t.Helper()
	var n, lo, hi int
	if err := pool.QueryRow(context.Background(), `SELECT count(*), coalesce(min(n), 0), coalesce(max(n), 0) FROM svc.units WHERE name = $1`, name).
		Scan(&n, &lo, &hi); err != nil {
		t.Fatal(err)
	}
	// (name, n) is the key: a unit written twice would have failed its batch.
	if n != total || lo != 1 || hi != total {
		t.Fatalf("units of %s: %d from %d to %d, want 1 to %d", name, n, lo, hi, total)
	}
}

// startsOf lists the checkpoint each attempt of job began from, by attempt.
func startsOf(t *testing.T, pool *pgxpool.Pool, job int64) []int {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT from_n FROM svc.step_starts WHERE job_id = $1 ORDER BY attempt`, job)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStepsHandOverWithTheirCheckpointOrNotAtAll: a count of 20 in batches
// of 2, 3 batches a step, whose second handover (at 12) fails after
// Continue but before the commit. Worked by hand: step 1 writes 2, 4, 6 and
// hands over; step 2 writes 8 and 10, its third batch and handover roll
// back together (no successor survives), and its second attempt resumes
// from 10: 12, 14, 16, handover; step 3 writes 18 and 20 and completes.
func TestStepsHandOverWithTheirCheckpointOrNotAtAll(t *testing.T) {
	failed := false
	var w *countWorker
	f := newFixtureWith(t, nil, stepSettings, func(ws *river.Workers, f *fixture) {
		w = &countWorker{pool: f.pool, queue: func() *jobs.Queue { return f.queue }}
		w.beforeCommit = func(_ *river.Job[countArgs], done int, handover bool) error {
			if handover && done == 12 && !failed {
				failed = true
				return errors.New("lost the connection before the handover committed")
			}
			return nil
		}
		river.AddWorker(ws, w)
	})
	a := countArgs{OrgID: f.org, Name: "handover", Total: 20, Batch: 2, StepBatches: 3}
	first := startCount(t, f.pool, f.queue, a)
	testkit.Eventually(t, 20*time.Second, func() bool { return chainDone(t, f.pool, a.Name, a.Total) }, "the count completes")

	chain := chainOf(t, f.pool, a.Name)
	expectChain(t, chain, 3)
	expectUnitsOnce(t, f.pool, a.Name, a.Total)
	if chain[0].ID != first || chain[0].Attempt != 1 || chain[2].Attempt != 1 {
		t.Fatalf("chain %+v: want the inserted job first and steps 1 and 3 in one attempt", chain)
	}
	if s := chain[1]; s.Attempt != 2 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "lost the connection") {
		t.Fatalf("step 2 = %+v, want a second attempt after the failed handover", s)
	}
	for i, want := range [][]int{{0}, {6, 10}, {16}} {
		if got := startsOf(t, f.pool, chain[i].ID); !slices.Equal(got, want) {
			t.Errorf("step %d began from %v, want %v (the last committed checkpoint)", i+1, got, want)
		}
	}
	// The jobs API shows the links.
	j := f.waitState(t, chain[1].ID, "completed")
	if j.Continues == nil || *j.Continues != chain[0].ID || j.ContinuedBy == nil || *j.ContinuedBy != chain[2].ID {
		t.Fatalf("API step 2 continues %v, continued by %v; want %d and %d", j.Continues, j.ContinuedBy, chain[0].ID, chain[2].ID)
	}
}

// Environment of the child process of TestStepKilledMidWayResumesFromItsLastCheckpoint.
const (
	envChildDB      = "JOBS_TEST_CHILD_DATABASE_URL"
	envChildBlockAt = "JOBS_TEST_CHILD_BLOCK_AT"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(envChildDB); url != "" {
		os.Exit(runCountChild(url))
	}
	os.Exit(m.Run())
}

// runCountChild is a process working counts until it is killed: after the
// batch that brings a count to JOBS_TEST_CHILD_BLOCK_AT it hangs, mid-step,
// with the step's job running.
func runCountChild(url string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // never outlive a lost parent
	defer cancel()
	blockAt, err := strconv.Atoi(os.Getenv(envChildBlockAt))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	var q *jobs.Queue
	w := &countWorker{pool: pool, queue: func() *jobs.Queue { return q }}
	w.afterCommit = func(_ *river.Job[countArgs], done int) {
		if done == blockAt {
			<-ctx.Done() // hung until killed
		}
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	q, err = jobs.New(jobs.Config{Pool: pool, Schema: schema, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)), Workers: workers,
		Settings: jobs.Settings{PollInterval: 50 * time.Millisecond}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	if err := q.Run(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	return 1
}

// TestStepKilledMidWayResumesFromItsLastCheckpoint: a process working a
// count of 30 (batches of 2, 5 a step) is killed with SIGKILL in the middle
// of step 2, after its batches up to 14 committed. Nothing of it is left to
// finish the attempt: its job stays running until this process's queue —
// another client, not River's leader while the dead one's lease lasts —
// rescues it RescueAfter after the attempt began. The step's second
// attempt resumes from 14, and every unit exists once.
func TestStepKilledMidWayResumesFromItsLastCheckpoint(t *testing.T) {
	db := testkit.NewDatabase(t)
	db.MigrateSchema(t, testSchema())
	pool := db.Pool(t, "")
	inserter, err := jobs.New(jobs.Config{Pool: pool, Schema: schema, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	a := countArgs{OrgID: uuid.New(), Name: "killed", Total: 30, Batch: 2, StepBatches: 5}
	startCount(t, pool, inserter, a)

	var out bytes.Buffer
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), envChildDB+"="+db.URL, envChildBlockAt+"=14")
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill() })
	testkit.Eventually(t, 30*time.Second, func() bool {
		chain := chainOf(t, pool, a.Name)
		return len(chain) == 2 && chain[1].State == "running" && slices.Equal(startsOf(t, pool, chain[1].ID), []int{10}) &&
			countDone(t, pool, a.Name) == 14
	}, "the child is in step 2 with 14 counted")
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child ended with %v, want killed\n%s", err, out.String())
	}
	killed := time.Now()

	newFixtureOn(t, db, nil, stepSettings, func(ws *river.Workers, f *fixture) {
		river.AddWorker(ws, &countWorker{pool: f.pool, queue: func() *jobs.Queue { return f.queue }})
	})
	testkit.Eventually(t, 30*time.Second, func() bool { return chainDone(t, pool, a.Name, a.Total) }, "the count completes after the kill")
	if took := time.Since(killed); took > stepSettings.RescueAfter+5*time.Second {
		t.Errorf("the count completed %s after the kill, want within RescueAfter (%s) and a few seconds", took, stepSettings.RescueAfter)
	}
	chain := chainOf(t, pool, a.Name)
	expectChain(t, chain, 3)
	expectUnitsOnce(t, pool, a.Name, a.Total)
	if s := chain[1]; s.Attempt != 2 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "rescued by pkg/jobs") {
		t.Fatalf("killed step = %+v, want a second attempt after the queue's rescue", s)
	}
	for i, want := range [][]int{{0}, {10, 14}, {24}} {
		if got := startsOf(t, pool, chain[i].ID); !slices.Equal(got, want) {
			t.Errorf("step %d began from %v, want %v (the last committed checkpoint)", i+1, got, want)
		}
	}
}

func countDone(t *testing.T, pool *pgxpool.Pool, name string) int {
	t.Helper()
	var done int
	if err := pool.QueryRow(context.Background(), `SELECT done FROM svc.counters WHERE name = $1`, name).Scan(&done); err != nil {
		t.Fatal(err)
	}
	return done
}

// boundsArgs is a job whose worker asks for an hour.
type boundsArgs struct {
	OrgID uuid.UUID `json:"org_id"`
}

func (boundsArgs) Kind() string     { return "test_bounds" }
func (a boundsArgs) Org() uuid.UUID { return a.OrgID }

type attemptSeen struct {
	deadline, stepOver time.Duration // after the attempt began
	hasDeadline        bool
	err                error
}

type boundsWorker struct {
	river.WorkerDefaults[boundsArgs]
	seen chan attemptSeen
}

func (*boundsWorker) Timeout(*river.Job[boundsArgs]) time.Duration { return time.Hour }

func (w *boundsWorker) Work(ctx context.Context, _ *river.Job[boundsArgs]) error {
	began := time.Now()
	var s attemptSeen
	d, ok := ctx.Deadline()
	s.deadline, s.hasDeadline = d.Sub(began), ok
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !jobs.StepOver(ctx) {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	s.stepOver = time.Since(began)
	<-ctx.Done()
	s.err = ctx.Err()
	select {
	case w.seen <- s:
	default:
	}
	return river.JobCancel(ctx.Err())
}

// TestEveryAttemptIsBoundedByJobTimeout: a worker's own, longer Timeout
// does not outlast JobTimeout (an attempt that outlived the rescue window
// would run twice at once), and StepOver turns true StepTime into it.
func TestEveryAttemptIsBoundedByJobTimeout(t *testing.T) {
	w := &boundsWorker{seen: make(chan attemptSeen, 1)}
	f := newFixtureWith(t, nil, stepSettings, func(ws *river.Workers, _ *fixture) { river.AddWorker(ws, w) })
	if jobs.StepOver(context.Background()) {
		t.Fatal("StepOver outside a job is true")
	}
	err := pgx.BeginFunc(context.Background(), f.pool, func(tx pgx.Tx) error {
		_, err := f.queue.Insert(context.Background(), tx, boundsArgs{OrgID: f.org}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var s attemptSeen
	select {
	case s = <-w.seen:
	case <-time.After(20 * time.Second):
		t.Fatal("the attempt did not end within 20s")
	}
	if !s.hasDeadline || s.deadline > stepSettings.JobTimeout || !errors.Is(s.err, context.DeadlineExceeded) {
		t.Fatalf("attempt deadline %s (set %v), ended with %v; want at most JobTimeout %s", s.deadline, s.hasDeadline, s.err, stepSettings.JobTimeout)
	}
	if s.stepOver < stepSettings.StepTime || s.stepOver >= stepSettings.JobTimeout {
		t.Fatalf("StepOver after %s, want from StepTime %s, before JobTimeout", s.stepOver, stepSettings.StepTime)
	}
}

// TestQueueRescuesTheJobsOfDeadAttempts: a job left running by a process
// that died (its attempt began long ago) is made available again and
// worked, is discarded when that was its last attempt, and is cancelled
// when a cancel was asked for while it ran — within RescueInterval, not
// River's 30 s.
func TestQueueRescuesTheJobsOfDeadAttempts(t *testing.T) {
	f := newFixtureWith(t, nil, stepSettings, nil)
	for _, tc := range []struct {
		name    string
		attempt int
		meta    string
		want    string
	}{
		{"an attempt left is run again", 1, `{}`, "completed"},
		{"the last attempt is dead-lettered", jobs.MaxAttempts, `{}`, "discarded"},
		{"a cancel asked for is honoured", 1, `{"cancel_attempted_at": "2026-01-01T00:00:00Z"}`, "cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var id int64
			err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
				row, err := f.queue.Insert(ctx, tx, effectArgs{OrgID: f.org, Key: tc.name}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
				if err != nil {
					return err
				}
				id = row.ID
				// As a crashed process leaves it: running, its attempt begun
				// an hour ago, nobody working it.
				_, err = tx.Exec(ctx, `UPDATE svc.river_job SET state = 'running', attempt = $2, attempted_at = now() - interval '1 hour',
					attempted_by = ARRAY['dead-client'], metadata = metadata || $3::jsonb WHERE id = $1`, id, tc.attempt, tc.meta)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			j := f.waitState(t, id, tc.want)
			last := j.Errors[len(j.Errors)-1]
			if !strings.Contains(last.Error, "rescued by pkg/jobs") || last.Attempt != tc.attempt {
				t.Fatalf("errors %+v, want the rescue of attempt %d last", j.Errors, tc.attempt)
			}
			if tc.want == "completed" && (f.effects(t, tc.name) != 1 || j.Attempt != tc.attempt+1) {
				t.Fatalf("rescued job: attempt %d, %d effects; want attempt %d, one effect", j.Attempt, f.effects(t, tc.name), tc.attempt+1)
			}
		})
	}
}

// TestSettingsThatMakeRecoveryUnsafeAreRefused: the rescue window must
// exceed the job timeout, a step must leave half the attempt to commit,
// and the rescuer must look within the window; each problem names its
// variable, at start (LoadSettings) and in New.
func TestSettingsThatMakeRecoveryUnsafeAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		bad  string // the variable named, "" when valid
	}{
		{"the defaults", nil, ""},
		{"a short timeout with its window", map[string]string{"JOBS_TIMEOUT": "2s", "JOBS_STEP_TIME": "1s", "JOBS_RESCUE_AFTER": "3s", "JOBS_RESCUE_INTERVAL": "1s"}, ""},
		{"a window as long as the timeout", map[string]string{"JOBS_RESCUE_AFTER": "20s"}, "JOBS_RESCUE_AFTER"},
		{"a window shorter than a raised timeout", map[string]string{"JOBS_TIMEOUT": "1m"}, "JOBS_RESCUE_AFTER"},
		{"a step over half the timeout", map[string]string{"JOBS_STEP_TIME": "11s"}, "JOBS_STEP_TIME"},
		{"a rescuer looking less often than the window", map[string]string{"JOBS_RESCUE_INTERVAL": "26s"}, "JOBS_RESCUE_INTERVAL"},
		{"a zero window", map[string]string{"JOBS_RESCUE_AFTER": "0s"}, "JOBS_RESCUE_AFTER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := config.FromMap(tc.env)
			s := jobs.LoadSettings(e)
			err := e.Err()
			if tc.bad == "" {
				if err != nil || s.Validate() != nil {
					t.Fatalf("LoadSettings: %v; Validate: %v; want valid", err, s.Validate())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Fatalf("LoadSettings: %v, want %s named", err, tc.bad)
			}
		})
	}
	db := testkit.NewDatabase(t)
	_, err := jobs.New(jobs.Config{Pool: db.Pool(t, ""), Schema: schema, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Settings: jobs.Settings{JobTimeout: time.Minute}})
	if err == nil || !strings.Contains(err.Error(), "JOBS_RESCUE_AFTER") {
		t.Fatalf("New with a 1m timeout and the default window: %v, want JOBS_RESCUE_AFTER named", err)
	}
	if got := jobs.DefaultRescueAfter + jobs.DefaultRescueInterval; got > 30*time.Second {
		t.Fatalf("a crashed attempt waits up to %s with the defaults, want at most half a minute", got)
	}
}

// uniqueArgs is a kind unique among running jobs, which cannot run in steps.
type uniqueArgs struct {
	OrgID uuid.UUID `json:"org_id"`
}

func (uniqueArgs) Kind() string     { return "test_unique_step" }
func (a uniqueArgs) Org() uuid.UUID { return a.OrgID }
func (uniqueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

type uniqueWorker struct {
	river.WorkerDefaults[uniqueArgs]
	pool  *pgxpool.Pool
	queue func() *jobs.Queue
	got   chan error
}

func (w *uniqueWorker) Work(ctx context.Context, job *river.Job[uniqueArgs]) error {
	err := pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		_, err := jobs.Continue(ctx, w.queue(), tx, job, job.Args)
		return err
	})
	select {
	case w.got <- err:
	default:
	}
	return river.JobCancel(errors.New("done"))
}

// TestContinueRefusesAKindUniqueAmongRunningJobs: the successor of such a
// job would be skipped as a duplicate of the running step, silently ending
// the chain; Continue fails instead (and its transaction rolls back).
func TestContinueRefusesAKindUniqueAmongRunningJobs(t *testing.T) {
	w := &uniqueWorker{got: make(chan error, 1)}
	f := newFixtureWith(t, nil, stepSettings, func(ws *river.Workers, f *fixture) {
		w.pool, w.queue = f.pool, func() *jobs.Queue { return f.queue }
		river.AddWorker(ws, w)
	})
	err := pgx.BeginFunc(context.Background(), f.pool, func(tx pgx.Tx) error {
		_, err := f.queue.Insert(context.Background(), tx, uniqueArgs{OrgID: f.org}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-w.got:
	case <-time.After(20 * time.Second):
		t.Fatal("the job did not run within 20s")
	}
	if err == nil || !strings.Contains(err.Error(), "must not be unique among running jobs") {
		t.Fatalf("Continue of a unique kind: %v, want refused", err)
	}
}
