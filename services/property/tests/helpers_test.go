// Package tests holds property's component tests: the real service wiring
// (server.New) in-process on httptest, against a fresh PostgreSQL database
// per test migrated with the real migrations, running as property_app so
// row-level security applies, through the real HTTP API with real RS256
// tokens checked by a static verifier.
package tests

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/jobs"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
	"reos.dev/services/property"
	"reos.dev/services/property/internal/adapters/market"
	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/server"
)

// env is one running property service with its own database.
type env struct {
	t      testing.TB
	db     *testkit.Database
	admin  *pgxpool.Pool // superuser, for assertions behind the API's back
	srv    *server.Server
	client *testkit.Client
	tokens *testkit.Tokens
	// media is the service's file store and link signer (media_test.go).
	media app.MediaConfig
	// market is the service's market data provider (valuation_test.go).
	market *market.Mock
}

// newEnv starts the service; each of with adjusts its options first (the
// import tests set small import limits).
func newEnv(t testing.TB, with ...func(*server.Options)) *env {
	t.Helper()
	db := testkit.NewDatabase(t)
	db.MigrateSchema(t, property.Root.Database())
	return newEnvOn(t, db, with...)
}

// newEnvOn starts the service on db, already migrated.
func newEnvOn(t testing.TB, db *testkit.Database, with ...func(*server.Options)) *env {
	t.Helper()
	tokens := testkit.NewTokens(t)
	media := testMedia(t)
	mkt := market.NewMock(market.DefaultSeed, nil)
	opts := server.Options{Pool: db.Pool(t, "property_app"), Verifier: tokens.Verifier(), Logger: logging.Discard(),
		Media: media, Market: mkt, Jobs: jobs.Settings{RetryBase: 20 * time.Millisecond, PollInterval: 50 * time.Millisecond}}
	for _, f := range with {
		f(&opts)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	runQueue(t, srv.Queue)
	return &env{t: t, db: db, admin: db.Pool(t, ""), srv: srv, client: testkit.NewClient(t, srv.Handler), tokens: tokens, media: media, market: mkt}
}

// runQueue works the service's jobs in the background, as the binary does,
// until the test ends (before its database is dropped: cleanups run last
// registered first).
func runQueue(t testing.TB, q *jobs.Queue) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("job queue: %v", err)
		}
	})
}

// caller is a user of an organisation with a token.
type caller struct {
	UserID, OrgID, Token string
}

// token signs an access token for a new user of orgID holding perms.
func (e *env) token(orgID string, perms ...string) caller {
	e.t.Helper()
	uid := uuid.Must(uuid.NewV7()).String()
	return caller{UserID: uid, OrgID: orgID, Token: e.tokens.Access(e.t, uid, orgID, perms...)}
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

// awaitTimeout bounds every wait of these tests: a scheduled job waits for
// River's scheduler, which looks every 5 s.
const awaitTimeout = 30 * time.Second

// await polls GET path as c (testkit.Eventually) until the answer is a 200
// whose body, decoded into a T, satisfies done, and returns that T. Any
// other answer is "not yet" (the last one is in the failure message); only
// a broken connection fails at once (testkit.Client.Do).
func await[T any](e *env, c caller, path, what string, done func(T) bool) T {
	e.t.Helper()
	var got T
	var last response
	testkit.Eventually(e.t, awaitTimeout, func() bool {
		last = e.call(http.MethodGet, path, c.Token, nil)
		var v T
		if last.Status != http.StatusOK || json.Unmarshal(last.Body, &v) != nil || !done(v) {
			return false
		}
		got = v
		return true
	}, "%s (last answer: %s)", what, &last)
	return got
}

// call sends a request to the service; see testkit.Client.Do.
func (e *env) call(method, path, token string, body any) response {
	e.t.Helper()
	return e.client.Do(method, path, token, body)
}

type propertyJSON struct {
	ID                    string   `json:"id"`
	OrgID                 string   `json:"org_id"`
	ListingKey            *string  `json:"listing_key"`
	ListPriceCents        int64    `json:"list_price_cents"`
	BedroomsTotal         *int     `json:"bedrooms_total"`
	BathroomsTotalInteger *int     `json:"bathrooms_total_integer"`
	LivingArea            *int64   `json:"living_area"`
	LotSizeAcres          *string  `json:"lot_size_acres"`
	YearBuilt             *int     `json:"year_built"`
	PropertyType          string   `json:"property_type"`
	StandardStatus        string   `json:"standard_status"`
	UnparsedAddress       string   `json:"unparsed_address"`
	City                  string   `json:"city"`
	PostalCode            *string  `json:"postal_code"`
	Country               string   `json:"country"`
	Latitude              *float64 `json:"latitude"`
	Longitude             *float64 `json:"longitude"`
	PublicRemarks         *string  `json:"public_remarks"`
	CreatedAt             string   `json:"created_at"`
	UpdatedAt             string   `json:"updated_at"`
	ArchivedAt            *string  `json:"archived_at"`
	Score                 float64  `json:"score"`
}

type listJSON[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

type listingJSON struct {
	ID             string  `json:"id"`
	PropertyID     string  `json:"property_id"`
	ListPriceCents int64   `json:"list_price_cents"`
	StandardStatus string  `json:"standard_status"`
	AgentUserID    *string `json:"agent_user_id"`
	Version        int     `json:"version"`
}

// expectField is testkit's.
func expectField(t testing.TB, r response, status int, field, what string) {
	t.Helper()
	testkit.ExpectField(t, r, status, field, what)
}

// house is a valid create body; over overrides fields.
func house(addr, city string, priceCents int64, over map[string]any) map[string]any {
	b := map[string]any{
		"unparsed_address": addr, "city": city, "list_price_cents": priceCents,
		"property_type": "Residential", "standard_status": "Active",
	}
	for k, v := range over {
		b[k] = v
	}
	return b
}

func (e *env) create(c caller, body map[string]any) propertyJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/properties", c.Token, body)
	expect(e.t, r, http.StatusCreated, "create property")
	return decode[propertyJSON](e.t, r)
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

// ids lists the ids of a page.
func ids(items []propertyJSON) []string {
	out := make([]string, len(items))
	for i, p := range items {
		out[i] = p.ID
	}
	return out
}
