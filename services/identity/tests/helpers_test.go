// Package tests holds identity's component tests: the real service wiring
// (server.New) in-process on httptest, against a fresh PostgreSQL database
// per test migrated with the real migrations, through the real HTTP API.
package tests

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
	"reos.dev/services/identity"
	"reos.dev/services/identity/internal/server"
)

const (
	testIssuer   = "reos-identity"
	testAudience = "reos-api"
	// goodPassword satisfies the policy; every test user has it unless a
	// test says otherwise.
	goodPassword = "correct horse battery"
)

// env is one running identity service with its own database.
type env struct {
	t      testing.TB
	db     *testkit.Database
	admin  *pgxpool.Pool // superuser, for assertions behind the API's back
	srv    *server.Server
	client *testkit.Client
	clock  *testkit.Clock
	key    *rsa.PrivateKey
	signer *auth.Signer
	// revocations is identity's own feed; peer is another process's (a
	// service or the gateway) following the same Redis key and channel.
	revocations, peer *auth.Revocations
	redis             *redis.Client
	redisPrefix       string
}

// envOption adjusts an env before the server is built.
type envOption func(*envConfig)

type envConfig struct {
	// identityRedis is the client identity's revocations use (default the
	// test's own).
	identityRedis redis.UniversalClient
}

// withIdentityRedis gives identity's revocation feed its own client (one
// the test can cut off).
func withIdentityRedis(c redis.UniversalClient) envOption {
	return func(cfg *envConfig) { cfg.identityRedis = c }
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	db := testkit.NewDatabase(t)
	db.MigrateSchema(t, identity.Root.Database())
	tokens := testkit.NewTokens(t)
	key, signer := tokens.Key, tokens.Signer
	keys, err := auth.NewKeySet(signer)
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := testkit.Redis(t)
	cfg := envConfig{identityRedis: rdb}
	for _, o := range opts {
		o(&cfg)
	}
	revocations := startRevocations(t, cfg.identityRedis, prefix)
	peer := startRevocations(t, rdb, prefix)
	clock := testkit.NewClock()
	srv, err := server.New(server.Options{
		Pool: db.Pool(t, "identity_app"), Keys: keys, Issuer: testIssuer, Audience: testAudience,
		Mode: "mock", Logger: logging.Discard(), Clock: clock, Revocations: revocations,
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	return &env{t: t, db: db, admin: db.Pool(t, ""), srv: srv, client: testkit.NewClient(t, srv.Handler), clock: clock, key: key, signer: signer,
		revocations: revocations, peer: peer, redis: rdb, redisPrefix: prefix}
}

// startRevocations runs a revocation feed on the test's key and channel
// until the test ends, and waits for its first load.
func startRevocations(t testing.TB, rdb redis.UniversalClient, prefix string) *auth.Revocations {
	t.Helper()
	r, err := auth.NewRevocations(auth.RevocationsConfig{
		Redis: rdb, Logger: logging.Discard(), Key: prefix + "revoked", Channel: prefix + "revoked",
		PingInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer wcancel()
	if err := r.WaitLoaded(wctx); err != nil {
		t.Fatal(err)
	}
	return r
}

// sidOf returns the sid claim of a token (unverified: the test made it).
func sidOf(t testing.TB, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c.SID
}

// lazy formats when printed: a testkit.Eventually message that reports
// what the condition last saw, not what was there when the wait began.
type lazy func() string

func (l lazy) String() string { return l() }

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

// call sends a request to the service; see testkit.Client.Do.
func (e *env) call(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	return e.client.Do(method, path, token, body, headers...)
}

type userJSON struct {
	ID          string   `json:"id"`
	OrgID       string   `json:"org_id"`
	Email       string   `json:"email"`
	FullName    string   `json:"full_name"`
	Phone       *string  `json:"phone"`
	Title       *string  `json:"title"`
	Timezone    *string  `json:"timezone"`
	Status      string   `json:"status"`
	Roles       []string `json:"roles"`
	Locked      bool     `json:"locked"`
	CreatedAt   string   `json:"created_at"`
	DeletedAt   *string  `json:"deleted_at"`
	LockedUntil *string  `json:"locked_until"`
}

type meJSON struct {
	userJSON
	Organization struct{ ID, Name string } `json:"organization"`
	Permissions  []string                  `json:"permissions"`
}

type pairJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

type problemJSON struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (p problemJSON) hasField(name string) bool {
	for _, f := range p.Errors {
		if f.Field == name {
			return true
		}
	}
	return false
}

func (p problemJSON) reason() string {
	_, r, _ := strings.Cut(p.Type, "/problems/")
	return r
}

// register signs up a new organisation and returns its admin.
func (e *env) register(email, org string) userJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/auth/register", "", map[string]string{
		"email": email, "password": goodPassword, "full_name": "Owner of " + org, "organization_name": org,
	})
	expect(e.t, r, http.StatusCreated, "register "+email)
	return decode[userJSON](e.t, r)
}

func (e *env) login(email, password string) pairJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	expect(e.t, r, http.StatusOK, "login "+email)
	return decode[pairJSON](e.t, r)
}

// createUser has the admin behind token create a user with roles.
func (e *env) createUser(token, email string, roles ...string) userJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/admin/users", token, map[string]any{
		"email": email, "password": goodPassword, "full_name": "User " + email, "roles": roles,
	})
	expect(e.t, r, http.StatusCreated, "create user "+email)
	return decode[userJSON](e.t, r)
}

// sign signs claims with the service's own key (for hand-made tokens).
func (e *env) sign(c auth.Claims) string {
	e.t.Helper()
	tok, err := e.signer.Sign(c)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
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
