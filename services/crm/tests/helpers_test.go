// Package tests holds crm's component tests: the real service wiring
// (server.New) in-process on httptest, against a fresh PostgreSQL database
// per test migrated with the real migrations, through the real HTTP API,
// with tokens signed by a test key the service's static verifier trusts.
package tests

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
	"reos.dev/services/crm"
	"reos.dev/services/crm/internal/server"
)

// env is one running crm service with its own database.
type env struct {
	t      testing.TB
	db     *testkit.Database
	admin  *pgxpool.Pool // superuser, for assertions behind the API's back
	srv    *server.Server
	client *testkit.Client
	clock  *testkit.Clock
	tokens *testkit.Tokens
}

func newEnv(t testing.TB, opts ...func(*server.Options)) *env {
	t.Helper()
	db := testkit.NewDatabase(t)
	db.MigrateSchema(t, crm.Root.Database())
	return newEnvOn(t, db, opts...)
}

// newEnvOn starts the service on db, already migrated.
func newEnvOn(t testing.TB, db *testkit.Database, opts ...func(*server.Options)) *env {
	t.Helper()
	tokens := testkit.NewTokens(t)
	clock := testkit.NewClock()
	files := testFiles(t)
	o := server.Options{
		Pool: db.Pool(t, "crm_app"), Verifier: tokens.Verifier(), Logger: logging.Discard(), Clock: clock,
		// The queue runs only in tests that start it (runQueue).
		Jobs:  jobs.Settings{RetryBase: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond},
		Files: files.disk, Signer: files.signer,
	}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return &env{t: t, db: db, admin: db.Pool(t, ""), srv: srv, client: testkit.NewClient(t, srv.Handler), clock: clock, tokens: tokens}
}

// user is a caller: an org, a user id and a token.
type user struct {
	OrgID, ID, Token string
}

// Role permission sets as identity grants them (the viewer reads
// everything: leads, deals, properties and jobs).
var (
	permsAdmin  = []string{"*"}
	permsAgent  = []string{"leads:read", "leads:write", "deals:read", "deals:write", "properties:read"}
	permsViewer = []string{"leads:read", "deals:read", "properties:read", jobs.PermRead}
)

// user mints an access token for a new user of org with perms; the user is
// an active user of org in crm's users read model (knownUser).
func (e *env) user(org string, perms []string) user {
	e.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	e.knownUser(org, id, true)
	return user{OrgID: org, ID: id, Token: e.tokens.Access(e.t, id, org, perms...)}
}

func newOrg() string { return uuid.Must(uuid.NewV7()).String() }

// response, decode and expect are testkit's, under the names the tests use.
type response = testkit.Response

func decode[T any](t testing.TB, r response) T {
	t.Helper()
	return testkit.Decode[T](t, r)
}

func expect(t testing.TB, r response, status int, what string) {
	t.Helper()
	testkit.Expect(t, r, status, what)
}

// call sends a request as u (no token for the zero user); see
// testkit.Client.Do.
func (e *env) call(method, path string, u user, body any) response {
	e.t.Helper()
	return e.client.Do(method, path, u.Token, body)
}

// problemJSON and expectField are testkit's.
type problemJSON = testkit.Problem

func expectField(t testing.TB, r response, status int, field, what string) {
	t.Helper()
	testkit.ExpectField(t, r, status, field, what)
}

type contactJSON struct {
	ID         string  `json:"id"`
	FirstName  string  `json:"first_name"`
	LastName   string  `json:"last_name"`
	Email      *string `json:"email"`
	Phone      *string `json:"phone"`
	TimeZone   *string `json:"time_zone"`
	PostalCode *string `json:"postal_code"`
}

type leadJSON struct {
	ID          string      `json:"id"`
	Contact     contactJSON `json:"contact"`
	SourceID    *string     `json:"source_id"`
	Status      string      `json:"status"`
	AssigneeID  *string     `json:"assignee_id"`
	PropertyIDs []string    `json:"property_ids"`
	Tags        []string    `json:"tags"`
	Score       *int        `json:"score"`
	ArchivedAt  *string     `json:"archived_at"`
	CreatedAt   string      `json:"created_at"`
}

type listJSON[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

type dealJSON struct {
	ID         string  `json:"id"`
	LeadID     string  `json:"lead_id"`
	StageID    string  `json:"stage_id"`
	ValueCents int64   `json:"value_cents"`
	ClosedAt   *string `json:"closed_at"`
}

type stageJSON struct {
	ID, Key, Kind string
	Position      int
}

type timelineJSON struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}

type scoreJSON struct {
	Score   int `json:"score"`
	Factors []struct {
		Name   string `json:"name"`
		Weight int    `json:"weight"`
		Points int    `json:"points"`
	} `json:"factors"`
}

// createLead posts a lead and returns it.
func (e *env) createLead(u user, body map[string]any) leadJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/leads", u, body)
	expect(e.t, r, http.StatusCreated, "create lead")
	return decode[leadJSON](e.t, r)
}

func (e *env) createDeal(u user, leadID string, value int64) dealJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/deals", u, map[string]any{"lead_id": leadID, "title": "Purchase", "value_cents": value})
	expect(e.t, r, http.StatusCreated, "create deal")
	return decode[dealJSON](e.t, r)
}

// scalar runs a one-value query as the superuser.
func scalar[T any](e *env, query string, args ...any) T {
	e.t.Helper()
	var v T
	if err := e.admin.QueryRow(e.t.Context(), query, args...).Scan(&v); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return v
}

// outboxTypes returns the CloudEvents types in the outbox, oldest first.
func (e *env) outboxTypes() []string {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), `SELECT payload::jsonb->>'type' FROM crm.outbox ORDER BY id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// knownProperty puts a property of org into crm's property read model
// behind the API's back (as the superuser), as the consumer of
// reos.property.events would, and returns its id.
func (e *env) knownProperty(org string, archived bool) string {
	e.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	if _, err := e.admin.Exec(e.t.Context(), `INSERT INTO crm.known_properties (org_id, property_id, archived, updated_at)
VALUES ($1, $2, $3, now())`, org, id, archived); err != nil {
		e.t.Fatalf("seed known property: %v", err)
	}
	return id
}
