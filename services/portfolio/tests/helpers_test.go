// Package tests holds portfolio's component tests: the real wiring
// (server.New) in-process on httptest, against a fresh PostgreSQL database
// per test migrated with the real migrations, through the real HTTP API,
// with tokens signed by a test key the service's static verifier trusts.
// Property is a fake (fakeProperty): what it knows and whether it answers
// is up to each test.
package tests

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/events"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/svcclient"
	"reos.dev/pkg/testkit"
	"reos.dev/services/portfolio"
	pgstore "reos.dev/services/portfolio/internal/adapters/postgres"
	"reos.dev/services/portfolio/internal/domain"
	"reos.dev/services/portfolio/internal/server"
)

// env is one running portfolio service with its own database.
type env struct {
	t        testing.TB
	db       *testkit.Database
	admin    *pgxpool.Pool // superuser, for assertions behind the API's back
	pool     *pgxpool.Pool // the service role
	srv      *server.Server
	client   *testkit.Client
	clock    *testkit.Clock
	tokens   *testkit.Tokens
	property *fakeProperty
}

// newEnv starts the service; opts adjust its options (settings, jobs).
func newEnv(t testing.TB, opts ...func(*server.Options)) *env {
	t.Helper()
	db := testkit.NewDatabase(t)
	db.MigrateSchema(t, portfolio.Root.Database())
	tokens := testkit.NewTokens(t)
	clock := testkit.NewClock()
	pool := db.Pool(t, "portfolio_app")
	prop := newFakeProperty()
	o := server.Options{Pool: pool, Verifier: tokens.Verifier(), Logger: logging.Discard(), Clock: clock, Property: prop}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return &env{t: t, db: db, admin: db.Pool(t, ""), pool: pool, srv: srv, client: testkit.NewClient(t, srv.Handler),
		clock: clock, tokens: tokens, property: prop}
}

// user is a caller: an org, a user id and a token.
type user struct{ OrgID, ID, Token string }

// Role permission sets as identity grants them.
var (
	permsAdmin  = []string{"*"}
	permsViewer = []string{"portfolio:read", "properties:read"}
)

func (e *env) user(org string, perms []string) user {
	id := uuid.Must(uuid.NewV7()).String()
	return user{OrgID: org, ID: id, Token: e.tokens.Access(e.t, id, org, perms...)}
}

func newOrg() string { return uuid.Must(uuid.NewV7()).String() }
func newID() string  { return uuid.Must(uuid.NewV7()).String() }

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

// scalar runs a one-value query as the superuser.
func scalar[T any](e *env, query string, args ...any) T {
	e.t.Helper()
	var v T
	if err := e.admin.QueryRow(e.t.Context(), query, args...).Scan(&v); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return v
}

// The API's shapes the tests read.
type (
	portfolioJSON struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Currency string `json:"currency"`
		Summary  struct {
			Holdings         int   `json:"holdings"`
			CostBasisCents   int64 `json:"cost_basis_cents"`
			TransactionCount int64 `json:"transaction_count"`
		} `json:"summary"`
	}
	holdingJSON struct {
		ID             string  `json:"id"`
		PropertyID     string  `json:"property_id"`
		Status         string  `json:"status"`
		SoldOn         *string `json:"sold_on"`
		CostBasisCents int64   `json:"cost_basis_cents"`
		ProceedsCents  int64   `json:"proceeds_cents"`
		IncomeCents    int64   `json:"income_cents"`
		ExpenseCents   int64   `json:"expense_cents"`
	}
	transactionJSON struct {
		ID          string  `json:"id"`
		HoldingID   *string `json:"holding_id"`
		Kind        string  `json:"kind"`
		Category    string  `json:"category"`
		AmountCents int64   `json:"amount_cents"`
		Currency    string  `json:"currency"`
		OccurredOn  string  `json:"occurred_on"`
		Voids       *string `json:"voids"`
		VoidedBy    *string `json:"voided_by"`
	}
)

// portfolio creates a USD portfolio as u.
func (e *env) portfolio(u user, name string) portfolioJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/portfolio", u, map[string]any{"name": name, "currency": "USD"})
	expect(e.t, r, http.StatusCreated, "create portfolio")
	return decode[portfolioJSON](e.t, r)
}

// knownProperty makes a new property of org known to the read model.
func (e *env) knownProperty(org string) string {
	e.t.Helper()
	id := newID()
	e.apply(propertyEvent(e.t, "reos.property.property.created", org, id, e.clock.Now(), map[string]any{"property_id": id, "org_id": org}))
	return id
}

// holding adds a held property bought on day for cost cents.
func (e *env) holding(u user, portfolioID, propertyID, day string, cost int64) holdingJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/portfolio/"+portfolioID+"/holdings", u, map[string]any{
		"property_id": propertyID, "acquired_on": day, "cost_basis_cents": cost, "currency": "USD"})
	expect(e.t, r, http.StatusCreated, "add holding")
	return decode[holdingJSON](e.t, r)
}

// entry records a ledger entry and returns it.
func (e *env) entry(u user, portfolioID string, body map[string]any) transactionJSON {
	e.t.Helper()
	if _, ok := body["currency"]; !ok {
		body["currency"] = "USD"
	}
	r := e.call(http.MethodPost, "/api/v1/portfolio/"+portfolioID+"/transactions", u, body)
	expect(e.t, r, http.StatusCreated, fmt.Sprintf("record %v", body))
	return decode[transactionJSON](e.t, r)
}

// propertyEvent is a property event as property's outbox would publish it.
func propertyEvent(t testing.TB, typ, orgID, propertyID string, at time.Time, data any) events.Event {
	t.Helper()
	ev, err := events.New("reos.property", typ, propertyID, orgID, data)
	if err != nil {
		t.Fatal(err)
	}
	ev.Time = at.UTC()
	return ev
}

// valuationEvent is property's valuation.completed of propertyID.
// An empty valuationID makes the event without data's id (the caller sets
// Data).
func valuationEvent(t testing.TB, org, propertyID, valuationID, asOf string, estimate int64, at time.Time) events.Event {
	t.Helper()
	return propertyEvent(t, "reos.property.valuation.completed", org, propertyID, at, map[string]any{
		"valuation_id": valuationID, "property_id": propertyID, "org_id": org, "as_of": asOf, "method": "comparables",
		"estimate_cents": estimate, "low_cents": estimate * 9 / 10, "high_cents": estimate * 11 / 10, "confidence": 70,
		"comparables": 5, "memo_sha256": "00"})
}

// apply feeds ev to the property read model through the consumer's own
// handler, in the transaction the consumer would open (app.org_id set).
func (e *env) apply(ev events.Event) {
	e.t.Helper()
	h := pgstore.PropertyEventHandler()
	if err := postgres.InOrgTx(context.Background(), e.pool, ev.OrgID, func(tx pgx.Tx) error { return h(e.t.Context(), tx, ev) }); err != nil {
		e.t.Fatalf("apply %s: %v", ev.Type, err)
	}
}

// fakeProperty is the property service as portfolio's client sees it: the
// properties and valuations each test gives it, or down.
type fakeProperty struct {
	mu         sync.Mutex
	properties map[string]bool // id → archived
	valuations map[string]*domain.Mark
	down       bool
	calls      int
}

func newFakeProperty() *fakeProperty {
	return &fakeProperty{properties: map[string]bool{}, valuations: map[string]*domain.Mark{}}
}

func (f *fakeProperty) unavailable() error {
	return apperr.New(apperr.KindUnavailable, svcclient.ReasonDependencyUnavailable, "property is unreachable")
}

func (f *fakeProperty) Property(_ context.Context, id string) (bool, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return false, false, f.unavailable()
	}
	archived, ok := f.properties[id]
	return ok, archived, nil
}

func (f *fakeProperty) LatestValuation(_ context.Context, id string) (*domain.Mark, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return nil, f.unavailable()
	}
	return f.valuations[id], nil
}

func (f *fakeProperty) set(fn func(f *fakeProperty)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}
