// Package tests holds identity's component tests: the real service wiring
// (server.New) in-process on httptest, against a fresh PostgreSQL database
// per test migrated with the real migrations, through the real HTTP API.
package tests

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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

// signingKey is generated once per test binary: RSA key generation is the
// slowest step of a test's setup and the key is not what the tests vary.
var signingKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// fakeClock is the service's clock in tests: time moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one running identity service with its own database.
type env struct {
	t      testing.TB
	db     *testkit.Database
	admin  *pgxpool.Pool // superuser, for assertions behind the API's back
	srv    *server.Server
	http   *httptest.Server
	clock  *fakeClock
	key    *rsa.PrivateKey
	signer *auth.Signer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	db := testkit.NewDatabase(t)
	for _, src := range identity.Database().Sources {
		db.Migrate(t, identity.Schema, src.Table, src.FS)
	}
	key, err := signingKey()
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	signer, err := auth.NewSigner(key, "")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeySet(signer)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Now().UTC().Truncate(time.Second)}
	srv, err := server.New(server.Options{
		Pool: db.Pool(t, "identity_app"), Keys: keys, Issuer: testIssuer, Audience: testAudience,
		Mode: "mock", Logger: logging.Discard(), Clock: clock,
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(hs.Close)
	return &env{t: t, db: db, admin: db.Pool(t, ""), srv: srv, http: hs, clock: clock, key: key, signer: signer}
}

// response is an answer read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// decode unmarshals the body into a new T, failing the test on error.
func decode[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, r, err)
	}
	return v
}

// call sends a request. body may be nil, a []byte / string (sent as is) or
// a value to marshal. headers come in name, value pairs.
func (e *env) call(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: data}
}

// expect fails the test unless r has the status.
func expect(t testing.TB, r response, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: got %s, want %d", what, r, status)
	}
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
