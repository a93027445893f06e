// Package tests holds platform's component tests: the real wiring
// (server.New) in-process on httptest against a fresh PostgreSQL database,
// aggregating real jobs APIs: each peer service is pkg/jobs' queue over
// River tables of its own schema, with its jobs API mounted exactly as
// every service mounts it (Queue.Routes behind auth.Middleware), and a
// worker that fails while told to.
package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
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
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
	"reos.dev/services/platform"
	"reos.dev/services/platform/internal/app"
	"reos.dev/services/platform/internal/server"
)

// env is one running platform service, the peers it aggregates and the
// token minter every one of them trusts.
type env struct {
	t      testing.TB
	srv    *server.Server
	client *testkit.Client
	tokens *testkit.Tokens
	peers  map[string]*peer
	db     *testkit.Database
}

// Names of the peers: two live services, one whose address refuses
// connections, one that never answers within the timeout.
const (
	peerCRM      = "crm"
	peerProperty = "property"
	peerDead     = "outreach"
	peerSlow     = "portfolio"
)

func newEnv(t testing.TB, opts ...func(*server.Options)) *env {
	t.Helper()
	db := testkit.NewDatabase(t)
	db.MigrateSchema(t, platform.Root.Database())
	tokens := testkit.NewTokens(t)
	e := &env{t: t, tokens: tokens, peers: map[string]*peer{}}
	services := map[string]string{}
	for _, name := range []string{peerCRM, peerProperty} {
		p := newPeer(t, db, name, tokens)
		e.peers[name] = p
		services[name] = p.url
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	services[peerDead] = dead.URL
	dead.Close() // its port now refuses connections
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(slow.Close)
	services[peerSlow] = slow.URL
	o := server.Options{
		Pool: db.Pool(t, "platform_app"), Verifier: tokens.Verifier(), Logger: logging.Discard(),
		JobServices: services, JobsTimeout: 300 * time.Millisecond,
		Jobs: jobs.Settings{RetryBase: 10 * time.Millisecond, PollInterval: 30 * time.Millisecond},
		// The receivers of the tests listen on loopback.
		WebhookAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, WebhookAllowHTTP: true,
		WebhookTimeout: 2 * time.Second,
	}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	e.srv = srv
	e.db = db
	e.client = testkit.NewClient(t, srv.Handler)
	return e
}

// user is a caller: an org and a token.
type user struct {
	OrgID, Token string
}

func (e *env) user(org string, perms ...string) user {
	e.t.Helper()
	return user{OrgID: org, Token: e.tokens.Access(e.t, uuid.NewString(), org, perms...)}
}

func newOrg() string { return uuid.Must(uuid.NewV7()).String() }

// Role permission sets as identity grants them.
var (
	permsAdmin  = []string{"*"}
	permsAgent  = []string{"leads:read", "leads:write", jobs.PermRead, jobs.PermWrite}
	permsViewer = []string{"leads:read", jobs.PermRead}
)

type response = testkit.Response

func (e *env) call(method, path string, u user, body any) response {
	e.t.Helper()
	return e.client.Do(method, path, u.Token, body)
}

func decode[T any](t testing.TB, r response) T {
	t.Helper()
	return testkit.Decode[T](t, r)
}

func expect(t testing.TB, r response, status int, what string) {
	t.Helper()
	testkit.Expect(t, r, status, what)
}

// peer is one service's jobs API over a real queue.
type peer struct {
	name   string
	pool   *pgxpool.Pool
	queue  *jobs.Queue
	worker *flakyWorker
	url    string
}

// peerMigrations stand for the service's own: the table its worker
// records its effect in.
var peerMigrations = fstest.MapFS{
	"000001_effects.up.sql":   {Data: []byte("CREATE TABLE effect_log (job_key text NOT NULL, job_id bigint NOT NULL);")},
	"000001_effects.down.sql": {Data: []byte("DROP TABLE effect_log;")},
}

func newPeer(t testing.TB, db *testkit.Database, name string, tokens *testkit.Tokens) *peer {
	t.Helper()
	db.MigrateSchema(t, postgres.Schema{Name: name, Sources: append([]postgres.Source{
		{Name: name, Table: "schema_migrations", FS: peerMigrations},
	}, jobs.Sources()...)})
	p := &peer{name: name, pool: db.Pool(t, "")}
	p.worker = &flakyWorker{peer: p}
	p.worker.failing.Store(true)
	workers := river.NewWorkers()
	river.AddWorker(workers, p.worker)
	q, err := jobs.New(jobs.Config{Pool: p.pool, Schema: name, Logger: logging.Discard(), Workers: workers,
		Settings: jobs.Settings{RetryBase: 10 * time.Millisecond, PollInterval: 30 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	p.queue = q
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("%s queue: %v", name, err)
		}
	})
	r := mux.NewRouter()
	q.Mount(r, name, auth.Middleware(tokens.Verifier(), logging.Discard()), logging.Discard())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

// flakyArgs is a job whose effect is one effect_log row per Key.
type flakyArgs struct {
	OrgID uuid.UUID `json:"org_id"`
	Key   string    `json:"key"`
}

func (flakyArgs) Kind() string     { return "flaky_effect" }
func (a flakyArgs) Org() uuid.UUID { return a.OrgID }

// flakyWorker fails while failing is set; otherwise it claims the effect,
// applies it and completes the job in one transaction (pkg/jobs effects).
type flakyWorker struct {
	river.WorkerDefaults[flakyArgs]
	peer    *peer
	failing atomic.Bool
}

func (w *flakyWorker) Work(ctx context.Context, job *river.Job[flakyArgs]) error {
	if w.failing.Load() {
		return errors.New("provider unavailable")
	}
	return pgx.BeginFunc(ctx, w.peer.pool, func(tx pgx.Tx) error {
		fresh, err := w.peer.queue.ClaimEffect(ctx, tx, "effect:"+job.Args.Key, jobs.Ref(job), job.Args.OrgID)
		if err != nil {
			return err
		}
		if fresh {
			if _, err := tx.Exec(ctx, "INSERT INTO "+w.peer.name+".effect_log (job_key, job_id) VALUES ($1, $2)", job.Args.Key, job.ID); err != nil {
				return err
			}
		}
		return jobs.Complete(ctx, tx, job)
	})
}

// insert enqueues a job of org with key and returns its task id.
func (p *peer) insert(t testing.TB, org, key string) string { return p.insertWith(t, org, key, nil) }

// insertWith is insert with River's options (a later ScheduledAt keeps
// the job waiting).
func (p *peer) insertWith(t testing.TB, org, key string, opts *river.InsertOpts) string {
	t.Helper()
	var id int64
	err := pgx.BeginFunc(context.Background(), p.pool, func(tx pgx.Tx) error {
		row, err := p.queue.Insert(context.Background(), tx, flakyArgs{OrgID: uuid.MustParse(org), Key: key}, opts)
		if err == nil {
			id = row.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return app.TaskID(p.name, id)
}

func (p *peer) effects(t testing.TB, key string) int {
	t.Helper()
	var n int
	if err := p.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+p.name+".effect_log WHERE job_key = $1", key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitTask polls GET /tasks/{id} until the task is in state.
func (e *env) waitTask(u user, id, state string) taskJSON {
	e.t.Helper()
	var last taskJSON
	testkit.Eventually(e.t, 20*time.Second, func() bool {
		r := e.call(http.MethodGet, "/api/v1/tasks/"+id, u, nil)
		if r.Status != http.StatusOK {
			return false
		}
		last = decode[taskJSON](e.t, r)
		return last.State == state
	}, func() string { return fmt.Sprintf("task %s to be %s (last %+v)", id, state, last) })
	return last
}

type taskJSON struct {
	ID       string `json:"id"`
	Service  string `json:"service"`
	Kind     string `json:"kind"`
	State    string `json:"state"`
	Attempt  int    `json:"attempt"`
	ReplayOf *int64 `json:"replay_of"`
}

type missingJSON struct {
	Service string `json:"service"`
	Reason  string `json:"reason"`
	Detail  string `json:"detail"`
}

type taskListJSON struct {
	Items      []taskJSON    `json:"items"`
	NextCursor *string       `json:"next_cursor"`
	Missing    []missingJSON `json:"missing"`
}
