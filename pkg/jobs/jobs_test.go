package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
)

const schema = "svc"

// ownMigrations stand for a service's own: they create the schema (as
// postgres.Migrate does) and a table the test workers write their effect to.
var ownMigrations = fstest.MapFS{
	"000001_effects_log.up.sql":   {Data: []byte("CREATE TABLE effect_log (job_key text NOT NULL, job_id bigint NOT NULL);")},
	"000001_effects_log.down.sql": {Data: []byte("DROP TABLE effect_log;")},
	// The step tests' work (steps_test.go): a counter's checkpoint, the
	// units it wrote (each once: the key), and where each attempt began.
	"000002_steps.up.sql": {Data: []byte(`CREATE TABLE counters (name text PRIMARY KEY, done int NOT NULL);
		CREATE TABLE units (name text NOT NULL, n int NOT NULL, job_id bigint NOT NULL, PRIMARY KEY (name, n));
		CREATE TABLE step_starts (job_id bigint NOT NULL, attempt int NOT NULL, from_n int NOT NULL);`)},
	"000002_steps.down.sql": {Data: []byte("DROP TABLE step_starts, units, counters;")},
}

func testSchema() postgres.Schema {
	return postgres.Schema{Name: schema, Sources: append([]postgres.Source{
		{Name: schema, Table: "schema_migrations", FS: ownMigrations},
	}, jobs.Sources()...)}
}

// effectArgs is a job whose effect is one effect_log row per Key.
type effectArgs struct {
	OrgID uuid.UUID `json:"org_id"`
	Key   string    `json:"key"`
}

func (effectArgs) Kind() string                 { return "test_effect" }
func (a effectArgs) Org() uuid.UUID             { return a.OrgID }
func (effectArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueHigh} }

// effectWorker fails while failing is set; otherwise it claims the effect,
// applies it and completes the job in one transaction.
type effectWorker struct {
	river.WorkerDefaults[effectArgs]
	pool    *pgxpool.Pool
	queue   func() *jobs.Queue
	failing atomic.Bool
	runs    atomic.Int32
	block   chan struct{} // when non-nil, attempts wait for it to close
}

func (w *effectWorker) Work(ctx context.Context, job *river.Job[effectArgs]) error {
	w.runs.Add(1)
	if w.block != nil {
		select {
		case <-w.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if w.failing.Load() {
		return errors.New("provider unavailable")
	}
	return pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		fresh, err := w.queue().ClaimEffect(ctx, tx, "effect:"+job.Args.Key, jobs.Ref(job), job.Args.OrgID)
		if err != nil {
			return err
		}
		if fresh {
			if _, err := tx.Exec(ctx, "INSERT INTO svc.effect_log (job_key, job_id) VALUES ($1, $2)", job.Args.Key, job.ID); err != nil {
				return err
			}
		}
		return jobs.Complete(ctx, tx, job)
	})
}

type fixture struct {
	db     *testkit.Database
	pool   *pgxpool.Pool
	queue  *jobs.Queue
	worker *effectWorker
	api    *testkit.Client
	tokens *testkit.Tokens
	org    uuid.UUID
}

func newFixture(t *testing.T, block chan struct{}) *fixture {
	t.Helper()
	return newFixtureWith(t, block, jobs.Settings{RetryBase: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond}, nil)
}

// newFixtureWith is newFixture with settings, and with more workers added
// by add (the step tests').
func newFixtureWith(t *testing.T, block chan struct{}, settings jobs.Settings, add func(*river.Workers, *fixture)) *fixture {
	t.Helper()
	db := testkit.NewDatabase(t)
	db.MigrateSchema(t, testSchema())
	return newFixtureOn(t, db, block, settings, add)
}

// newFixtureOn is newFixtureWith on db, already migrated.
func newFixtureOn(t *testing.T, db *testkit.Database, block chan struct{}, settings jobs.Settings, add func(*river.Workers, *fixture)) *fixture {
	t.Helper()
	pool := db.Pool(t, "")
	f := &fixture{db: db, pool: pool, tokens: testkit.NewTokens(t), org: uuid.New()}
	f.worker = &effectWorker{pool: pool, queue: func() *jobs.Queue { return f.queue }, block: block}
	workers := river.NewWorkers()
	river.AddWorker(workers, f.worker)
	if add != nil {
		add(workers, f)
	}
	q, err := jobs.New(jobs.Config{
		Pool: pool, Schema: schema, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Workers: workers,
		Settings: settings,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.queue = q
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	})
	r := mux.NewRouter()
	q.Mount(r, "svc", auth.Middleware(f.tokens.Verifier(), slog.New(slog.NewTextHandler(io.Discard, nil))), slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.api = testkit.NewClient(t, r)
	return f
}

func (f *fixture) admin(t *testing.T) string {
	return f.tokens.Access(t, uuid.NewString(), f.org.String(), "*")
}

func (f *fixture) insert(t *testing.T, key string) int64 {
	t.Helper()
	var id int64
	err := pgx.BeginFunc(context.Background(), f.pool, func(tx pgx.Tx) error {
		row, err := f.queue.Insert(context.Background(), tx, effectArgs{OrgID: f.org, Key: key}, nil)
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

// waitState polls the API until job id is in state.
func (f *fixture) waitState(t *testing.T, id int64, state string) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := f.api.Do(http.MethodGet, jobs.APIPath("svc")+"/"+itoa(id), f.admin(t), nil)
		testkit.Expect(t, res, http.StatusOK, "get job")
		j := testkit.Decode[jobs.Job](t, res)
		if j.State == state {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s after 20s, want %s (errors %v)", id, j.State, state, j.Errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) effects(t *testing.T, key string) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), "SELECT count(*) FROM svc.effect_log WHERE job_key = $1", key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func TestSchemaRefusesToServeUntilRiverIsMigrated(t *testing.T) {
	db := testkit.NewDatabase(t)
	ctx := context.Background()
	own := postgres.Schema{Name: schema, Sources: testSchema().Sources[:1]}
	db.MigrateSchema(t, own)
	err := testSchema().RequireCurrent(ctx, db.URL)
	var behind *postgres.SchemaBehindError
	if !errors.As(err, &behind) || behind.Table != jobs.RiverMigrationsTable || len(behind.Pending) == 0 {
		t.Fatalf("RequireCurrent before River's migrations = %v, want a SchemaBehindError on %s", err, jobs.RiverMigrationsTable)
	}
	if err := testSchema().Migrate(ctx, db.URL); err != nil {
		t.Fatal(err)
	}
	if err := testSchema().RequireCurrent(ctx, db.URL); err != nil {
		t.Fatalf("RequireCurrent after migrate: %v", err)
	}
	st, err := testSchema().Status(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Current != s.Latest || s.Latest == 0 {
			t.Errorf("status of %s = %d of %d, want current", s.Name, s.Current, s.Latest)
		}
	}
	// Twice is harmless.
	if err := testSchema().Migrate(ctx, db.URL); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

func TestJobRunsOnItsQueueAndCompletesWithItsEffect(t *testing.T) {
	f := newFixture(t, nil)
	id := f.insert(t, "a")
	j := f.waitState(t, id, "completed")
	if j.Queue != jobs.QueueHigh || j.Kind != "test_effect" || j.MaxAttempts != jobs.MaxAttempts || j.Attempt != 1 {
		t.Errorf("job = %+v, want queue %s, kind test_effect, 1 of %d attempts", j, jobs.QueueHigh, jobs.MaxAttempts)
	}
	if n := f.effects(t, "a"); n != 1 {
		t.Errorf("effects = %d, want 1", n)
	}
}

func TestExhaustedJobIsDeadLetteredAndReplayAppliesTheEffectOnce(t *testing.T) {
	f := newFixture(t, nil)
	f.worker.failing.Store(true)
	id := f.insert(t, "dlq")
	j := f.waitState(t, id, "discarded")
	if j.Attempt != jobs.MaxAttempts || len(j.Errors) != jobs.MaxAttempts || j.Errors[2].Error != "provider unavailable" {
		t.Fatalf("discarded job = attempt %d, errors %+v; want %d attempts each recorded", j.Attempt, j.Errors, jobs.MaxAttempts)
	}
	// The dead-letter queue is the discarded jobs.
	res := f.api.Do(http.MethodGet, jobs.APIPath("svc")+"?state=discarded", f.admin(t), nil)
	testkit.Expect(t, res, http.StatusOK, "list discarded")
	if l := testkit.Decode[listOf](t, res); len(l.Items) != 1 || l.Items[0].ID != id {
		t.Fatalf("discarded list = %+v, want job %d", l.Items, id)
	}

	f.worker.failing.Store(false)
	res = f.api.Do(http.MethodPost, jobs.APIPath("svc")+"/"+itoa(id)+"/replay", f.admin(t), nil)
	testkit.Expect(t, res, http.StatusCreated, "replay")
	replay := testkit.Decode[jobs.Job](t, res)
	if replay.ID == id || replay.ReplayOf == nil || *replay.ReplayOf != id || string(replay.Args) != string(j.Args) {
		t.Fatalf("replay = %+v, want a new job replaying %d with the same args", replay, id)
	}
	f.waitState(t, replay.ID, "completed")
	if n := f.effects(t, "dlq"); n != 1 {
		t.Fatalf("effects after replay = %d, want 1", n)
	}
	// Replaying the completed replay does not repeat the effect.
	res = f.api.Do(http.MethodPost, jobs.APIPath("svc")+"/"+itoa(replay.ID)+"/replay", f.admin(t), nil)
	testkit.Expect(t, res, http.StatusCreated, "second replay")
	f.waitState(t, testkit.Decode[jobs.Job](t, res).ID, "completed")
	if n := f.effects(t, "dlq"); n != 1 {
		t.Fatalf("effects after a second replay = %d, want still 1", n)
	}
}

func TestRetryRunsTheSameJobAgain(t *testing.T) {
	f := newFixture(t, nil)
	f.worker.failing.Store(true)
	id := f.insert(t, "retry")
	f.waitState(t, id, "discarded")
	f.worker.failing.Store(false)
	res := f.api.Do(http.MethodPost, jobs.APIPath("svc")+"/"+itoa(id)+"/retry", f.admin(t), nil)
	testkit.Expect(t, res, http.StatusOK, "retry")
	j := f.waitState(t, id, "completed")
	if j.Attempt != jobs.MaxAttempts+1 || f.effects(t, "retry") != 1 {
		t.Fatalf("retried job = attempt %d, effects %d; want attempt %d and one effect", j.Attempt, f.effects(t, "retry"), jobs.MaxAttempts+1)
	}
}

func TestStateRulesOfCancelRetryAndReplay(t *testing.T) {
	block := make(chan struct{})
	f := newFixture(t, block)
	id := f.insert(t, "running")
	f.waitState(t, id, "running")
	path := jobs.APIPath("svc") + "/" + itoa(id)
	testkit.Expect(t, f.api.Do(http.MethodPost, path+"/retry", f.admin(t), nil), http.StatusConflict, "retry while running")
	testkit.Expect(t, f.api.Do(http.MethodPost, path+"/replay", f.admin(t), nil), http.StatusConflict, "replay while running")
	close(block)
	f.waitState(t, id, "completed")
	testkit.Expect(t, f.api.Do(http.MethodPost, path+"/cancel", f.admin(t), nil), http.StatusConflict, "cancel when completed")

	// A job scheduled for later is cancelled at once and never runs.
	var later int64
	err := pgx.BeginFunc(context.Background(), f.pool, func(tx pgx.Tx) error {
		row, err := f.queue.Insert(context.Background(), tx, effectArgs{OrgID: f.org, Key: "later"}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		if err == nil {
			later = row.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	res := f.api.Do(http.MethodPost, jobs.APIPath("svc")+"/"+itoa(later)+"/cancel", f.admin(t), nil)
	testkit.Expect(t, res, http.StatusOK, "cancel scheduled")
	if j := testkit.Decode[jobs.Job](t, res); j.State != "cancelled" {
		t.Fatalf("cancelled job state = %s", j.State)
	}
}

func TestAPIIsScopedToTheCallersOrgAndPermissions(t *testing.T) {
	f := newFixture(t, nil)
	id := f.insert(t, "mine")
	f.waitState(t, id, "completed")
	path := jobs.APIPath("svc") + "/" + itoa(id)

	other := f.tokens.Access(t, uuid.NewString(), uuid.NewString(), "*")
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, path}, {http.MethodPost, path + "/cancel"}, {http.MethodPost, path + "/retry"}, {http.MethodPost, path + "/replay"},
	} {
		testkit.Expect(t, f.api.Do(c.method, c.path, other, nil), http.StatusNotFound, "another org's job: "+c.method+" "+c.path)
	}
	res := f.api.Do(http.MethodGet, jobs.APIPath("svc"), other, nil)
	testkit.Expect(t, res, http.StatusOK, "another org's list")
	if l := testkit.Decode[listOf](t, res); len(l.Items) != 0 {
		t.Fatalf("another org sees %d jobs", len(l.Items))
	}

	reader := f.tokens.Access(t, uuid.NewString(), f.org.String(), jobs.PermRead)
	testkit.Expect(t, f.api.Do(http.MethodGet, path, reader, nil), http.StatusOK, "reader gets")
	testkit.Expect(t, f.api.Do(http.MethodPost, path+"/replay", reader, nil), http.StatusForbidden, "reader replays")
	nobody := f.tokens.Access(t, uuid.NewString(), f.org.String(), "properties:read")
	testkit.Expect(t, f.api.Do(http.MethodGet, jobs.APIPath("svc"), nobody, nil), http.StatusForbidden, "no tasks:read")
	testkit.Expect(t, f.api.Do(http.MethodGet, jobs.APIPath("svc"), "", nil), http.StatusUnauthorized, "no token")
	testkit.Expect(t, f.api.Do(http.MethodGet, jobs.APIPath("svc")+"/abc", f.admin(t), nil), http.StatusNotFound, "bad id")
	testkit.ExpectField(t, f.api.Do(http.MethodGet, jobs.APIPath("svc")+"?state=exploded", f.admin(t), nil), http.StatusBadRequest, "state", "bad state")
	testkit.ExpectField(t, f.api.Do(http.MethodGet, jobs.APIPath("svc")+"?sate=running", f.admin(t), nil), http.StatusBadRequest, "sate", "unknown filter")
	testkit.ExpectField(t, f.api.Do(http.MethodGet, jobs.APIPath("svc")+"?cursor=%25%25", f.admin(t), nil), http.StatusBadRequest, "cursor", "bad cursor")
}

func TestListPagesNewestFirstWithoutGapsOrRepeats(t *testing.T) {
	f := newFixture(t, nil)
	var want []int64
	for i := range 7 {
		want = append(want, f.insert(t, "page"+itoa(int64(i))))
	}
	for _, id := range want {
		f.waitState(t, id, "completed")
	}
	var got []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		path := jobs.APIPath("svc") + "?limit=3&kind=test_effect&state=completed"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		res := f.api.Do(http.MethodGet, path, f.admin(t), nil)
		testkit.Expect(t, res, http.StatusOK, "page")
		l := testkit.Decode[listOf](t, res)
		for _, j := range l.Items {
			got = append(got, j.ID)
		}
		if l.NextCursor == nil {
			break
		}
		cursor = *l.NextCursor
	}
	if len(got) != len(want) {
		t.Fatalf("paged ids %v, want %d jobs", got, len(want))
	}
	for i := range got {
		if got[i] != want[len(want)-1-i] {
			t.Fatalf("paged ids %v, want newest first %v", got, want)
		}
	}
}

func TestProgressIsVisibleThroughTheAPI(t *testing.T) {
	block := make(chan struct{})
	f := newFixture(t, block)
	id := f.insert(t, "progress")
	f.waitState(t, id, "running")
	if err := f.queue.SetProgress(context.Background(), id, map[string]int{"rows": 42}); err != nil {
		t.Fatal(err)
	}
	if p := progressRows(t, f.waitState(t, id, "running")); p != 42 {
		t.Fatalf("progress rows = %d, want 42", p)
	}
	close(block)
	if p := progressRows(t, f.waitState(t, id, "completed")); p != 42 {
		t.Fatalf("progress rows after completion = %d, want 42 kept", p)
	}
}

type listOf struct {
	Items      []jobs.Job `json:"items"`
	NextCursor *string    `json:"next_cursor"`
}

func progressRows(t *testing.T, j jobs.Job) int {
	t.Helper()
	var p struct{ Rows int }
	if err := json.Unmarshal(j.Progress, &p); err != nil {
		t.Fatalf("progress %s: %v", j.Progress, err)
	}
	return p.Rows
}
