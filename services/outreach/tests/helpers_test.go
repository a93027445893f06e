// Package tests holds outreach's component tests: the real wiring
// (server.New) in-process on httptest, against a fresh PostgreSQL database
// per test migrated with the real migrations, through the real HTTP API,
// with tokens signed by a test key the service's static verifier trusts.
package tests

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
	"reos.dev/services/outreach"
	pgstore "reos.dev/services/outreach/internal/adapters/postgres"
	"reos.dev/services/outreach/internal/domain/unsubscribe"
	"reos.dev/services/outreach/internal/provider"
	"reos.dev/services/outreach/internal/server"
)

// testSecret signs the tests' unsubscribe tokens.
var testSecret = []byte("outreach component tests' unsubscribe secret, 32+ bytes")

// env is one running outreach service with its own database.
type env struct {
	t      testing.TB
	db     *testkit.Database
	admin  *pgxpool.Pool // superuser, for assertions behind the API's back
	pool   *pgxpool.Pool // the service role
	srv    *server.Server
	client *testkit.Client
	clock  *testkit.Clock
	tokens *testkit.Tokens
	signer *unsubscribe.Signer
	email  *provider.MockEmail
	sms    *provider.MockSMS
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with the server's options changed by tune first
// (the engine's settings, a provider wrapped).
func newEnvWith(t testing.TB, tune func(*server.Options)) *env {
	t.Helper()
	db := testkit.NewDatabase(t)
	db.MigrateSchema(t, outreach.Root.Database())
	tokens := testkit.NewTokens(t)
	signer, err := unsubscribe.NewSigner(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	clock := testkit.NewClock()
	pool := db.Pool(t, "outreach_app")
	email, sms := provider.NewMockEmail(clock.Now), provider.NewMockSMS(clock.Now)
	o := server.Options{Pool: pool, Verifier: tokens.Verifier(), Logger: logging.Discard(), Clock: clock,
		Unsubscribe: signer, PublicBaseURL: "https://app.example.test",
		Providers: server.Providers{Email: email, SMS: sms, MockEmail: email, MockSMS: sms}, Webhooks: testWebhooks(t),
		Jobs: jobs.Settings{RetryBase: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond}}
	if tune != nil {
		tune(&o)
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return &env{t: t, db: db, admin: db.Pool(t, ""), pool: pool, srv: srv, client: testkit.NewClient(t, srv.Handler),
		clock: clock, tokens: tokens, signer: signer, email: email, sms: sms}
}

// runEngine works the job queue and runs the scheduler (every 20 ms of
// real time, judging by the test's clock) until the test ends.
func (e *env) runEngine() {
	e.t.Helper()
	testkit.RunInBackground(e.t, "jobs", func(ctx context.Context) error {
		if err := e.srv.Queue.Run(ctx); !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	testkit.RunInBackground(e.t, "scheduler", e.srv.Scheduler(20*time.Millisecond, logging.Discard()))
}

// user is a caller: an org, a user id and a token.
type user struct{ OrgID, ID, Token string }

// Role permission sets as identity grants them.
var (
	permsAdmin  = []string{"*"}
	permsSales  = []string{"campaigns:read", "campaigns:write", "campaigns:launch", "templates:read", "templates:write", "compliance:read", "compliance:write"}
	permsViewer = []string{"campaigns:read", "templates:read", "compliance:read", "leads:read"}
)

func (e *env) user(org string, perms []string) user {
	id := uuid.Must(uuid.NewV7()).String()
	return user{OrgID: org, ID: id, Token: e.tokens.Access(e.t, id, org, perms...)}
}

func newOrg() string { return uuid.Must(uuid.NewV7()).String() }

type response = testkit.Response

func decode[T any](t testing.TB, r response) T { t.Helper(); return testkit.Decode[T](t, r) }

func expect(t testing.TB, r response, status int, what string) {
	t.Helper()
	testkit.Expect(t, r, status, what)
}

func expectField(t testing.TB, r response, status int, field, what string) {
	t.Helper()
	testkit.ExpectField(t, r, status, field, what)
}

func (e *env) call(method, path string, u user, body any, headers ...string) response {
	e.t.Helper()
	return e.client.Do(method, path, u.Token, body, headers...)
}

type listJSON[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

type idJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
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
	rows, err := e.admin.Query(e.t.Context(), `SELECT payload::jsonb->>'type' FROM outreach.outbox ORDER BY id`)
	if err != nil {
		e.t.Fatal(err)
	}
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

// lastEvent returns the newest outbox event's type and data.
func (e *env) lastEvent() (string, map[string]any) {
	e.t.Helper()
	var typ string
	var data []byte
	if err := e.admin.QueryRow(e.t.Context(), `SELECT payload::jsonb->>'type', payload::jsonb->'data' FROM outreach.outbox ORDER BY id DESC LIMIT 1`).Scan(&typ, &data); err != nil {
		e.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		e.t.Fatal(err)
	}
	return typ, m
}

// crmEvent is a crm event as crm's outbox would publish it.
func crmEvent(t testing.TB, typ, orgID, subject string, at time.Time, data any) events.Event {
	t.Helper()
	ev, err := events.New("reos.crm", typ, subject, orgID, data)
	if err != nil {
		t.Fatal(err)
	}
	ev.Time = at.UTC()
	return ev
}

// apply feeds ev to the audience read model through the consumer's own
// handler, in the transaction the consumer would open (app.org_id set).
func (e *env) apply(ev events.Event) {
	e.t.Helper()
	h := pgstore.AudienceEventHandler()
	if err := postgres.InOrgTx(context.Background(), e.pool, ev.OrgID, func(tx pgx.Tx) error { return h(e.t.Context(), tx, ev) }); err != nil {
		e.t.Fatalf("apply %s: %v", ev.Type, err)
	}
}

// audienceLead is what a test puts into the read model for a lead.
type audienceLead struct {
	Lead, Contact, Status, Email, Phone string
	Source                              string
	Score                               int
	Tags                                []string
}

// seedLead makes l known in org's audience (a contact and its lead).
func (e *env) seedLead(org string, l audienceLead) {
	e.t.Helper()
	at := e.clock.Now()
	var email, phone any
	if l.Email != "" {
		email = l.Email
	}
	if l.Phone != "" {
		phone = l.Phone
	}
	e.apply(crmEvent(e.t, "reos.crm.contact.created", org, "contact/"+l.Contact, at, map[string]any{
		"contact_id": l.Contact, "first_name": "Pat", "last_name": "Lee", "email": email, "phone": phone,
		"time_zone": nil, "postal_code": "94110", "updated_at": at}))
	tags := l.Tags
	if tags == nil {
		tags = []string{}
	}
	e.apply(crmEvent(e.t, "reos.crm.lead.created", org, "lead/"+l.Lead, at, map[string]any{
		"lead_id": l.Lead, "contact_id": l.Contact, "status": l.Status, "source_key": l.Source, "score": l.Score,
		"tags": tags, "postal_code": "94110", "assignee_id": nil}))
}

func newLead(status string) audienceLead {
	return audienceLead{Lead: uuid.NewString(), Contact: uuid.NewString(), Status: status,
		Email: "pat." + uuid.NewString()[:8] + "@example.com", Phone: "+14155550" + uuid.NewString()[:3], Source: "website", Score: 50}
}

// emailTemplate creates a valid email template for u.
func (e *env) emailTemplate(u user, name string) idJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/templates/email", u, map[string]any{
		"name": name, "subject": "Hello {{ .contact.first_name }}",
		"html": `<p>Hi {{ .contact.first_name }}</p><p>{{ .org.postal_address }} <a href="{{ .unsubscribe_url }}">Unsubscribe</a></p>`})
	expect(e.t, r, http.StatusCreated, "create email template")
	return decode[idJSON](e.t, r)
}

func (e *env) smsTemplate(u user, name string) idJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/templates/sms", u, map[string]any{"name": name, "body": "Hi {{ .contact.first_name }}, reply STOP to opt out"})
	expect(e.t, r, http.StatusCreated, "create sms template")
	return decode[idJSON](e.t, r)
}
