// Package tests holds the gateway's component tests: the real gateway
// handler in-process, real PostgreSQL and Redis (through pkg/testkit),
// upstream services faked with httptest servers, and tokens minted by a
// pkg/auth Signer whose JWKS another httptest server publishes.
package tests

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"reos.dev/gateway"
	"reos.dev/gateway/internal/discovery"
	"reos.dev/gateway/internal/server"
	"reos.dev/gateway/migrations"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/config"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/telemetry"
	"reos.dev/pkg/testkit"
)

const (
	issuer   = "reos-identity"
	audience = "reos-api"
)

// testKey is generated once: RSA key generation is slow and the tests do
// not depend on which key it is.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// upstream is a fake service: it records what it received and answers
// with the handler currently installed.
type upstream struct {
	name    string
	srv     *httptest.Server
	handler atomic.Pointer[http.HandlerFunc]
	hits    atomic.Int64
	// arrived counts proxied requests whose head has reached the upstream,
	// before their body is read: the sign that the gateway is forwarding.
	arrived atomic.Int64

	mu   sync.Mutex
	last *http.Request
	body []byte
}

func newUpstream(t testing.TB, name string) *upstream {
	t.Helper()
	u := &upstream{name: name}
	u.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"service":"`+name+`","path":"`+r.URL.Path+`"}`)
	})
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probe := r.URL.Path == "/readyz" || r.URL.Path == "/openapi.json"
		if !probe {
			u.arrived.Add(1)
		}
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.last, u.body = r.Clone(context.Background()), body
		u.mu.Unlock()
		if probe {
			// Probes and documents are the gateway's own traffic; they do
			// not count as proxied hits.
			(*u.handler.Load())(w, r)
			return
		}
		u.hits.Add(1)
		(*u.handler.Load())(w, r)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) set(h http.HandlerFunc) { u.handler.Store(&h) }

func (u *upstream) lastRequest() (*http.Request, []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last, u.body
}

type harness struct {
	t         testing.TB
	signer    *auth.Signer
	gw        *httptest.Server
	srv       *server.Server
	ups       map[string]*upstream
	cfg       server.Config
	redis     *redis.Client
	rlPrefix  string
	jwksHits  atomic.Int64
	client    *http.Client
	verifyCnt *countingVerifier
	// pool connects as the gateway's role, to look into its tables.
	pool *pgxpool.Pool
}

type options struct {
	env map[string]string
	// upstreams to start (names); default identity, property, crm, platform.
	upstreams []string
	// extra static entries appended to GATEWAY_UPSTREAMS (e.g. a dead address).
	extraUpstreams string
	// redis replaces the test Redis (a dead one, for the outage tests).
	redis *redis.Client
	// transport replaces the upstream transport (benchmarks).
	transport http.RoundTripper
	// logs, when set, receives the gateway's log records (else discarded).
	logs io.Writer
	// feedStopped leaves the session revocation feed unstarted (never
	// loaded, so not ready), for the readiness test.
	feedStopped bool
}

func defaultEnv() map[string]string {
	return map[string]string{
		"RATE_LIMIT_USER":      "1000/60s",
		"RATE_LIMIT_IP":        "1000/60s",
		"RATE_LIMIT_AUTH":      "1000/60s",
		"UPSTREAM_TIMEOUT":     "5s",
		"BREAKER_OPEN_TIMEOUT": "10s",
		"CORS_ALLOWED_ORIGINS": "https://app.reos.test",
		"ACCESS_LOG":           "false",
		"JWT_ISSUER":           issuer,
		"JWT_AUDIENCE":         audience,
	}
}

func newHarness(t testing.TB, opts options) *harness {
	t.Helper()
	h := &harness{t: t, ups: map[string]*upstream{}, client: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	signer, err := auth.NewSigner(testKey(), "test-kid")
	if err != nil {
		t.Fatal(err)
	}
	h.signer = signer
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.jwksHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(signer.JWKS())
	}))
	t.Cleanup(jwks.Close)

	names := opts.upstreams
	if names == nil {
		names = []string{"identity", "property", "crm", "platform"}
	}
	var spec []string
	for _, n := range names {
		u := newUpstream(t, n)
		h.ups[n] = u
		spec = append(spec, n+"="+u.srv.URL)
	}
	if opts.extraUpstreams != "" {
		spec = append(spec, opts.extraUpstreams)
	}

	db := testkit.NewDatabase(t)
	for _, src := range migrations.Database().Sources {
		db.Migrate(t, migrations.Schema, src.Table, src.FS)
	}
	// Run as the gateway's group role, as in production: this also proves
	// the migration's grants are sufficient.
	pool := db.Pool(t, "gateway_app")
	h.pool = pool

	rdb, prefix := testkit.Redis(t)
	h.redis, h.rlPrefix = rdb, prefix
	if opts.redis != nil {
		rdb = opts.redis
	}

	env := defaultEnv()
	env["DATABASE_URL"] = db.URL
	env["GATEWAY_UPSTREAMS"] = strings.Join(spec, ",")
	env["JWKS_URL"] = jwks.URL
	env["RATE_LIMIT_PREFIX"] = prefix
	for k, v := range opts.env {
		env[k] = v
	}
	e := config.FromMap(env)
	cfg := server.LoadConfig(e)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	h.cfg = cfg
	resolver, err := discovery.ParseStatic(cfg.Upstreams, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.verifyCnt = &countingVerifier{v: auth.NewVerifier(auth.VerifierConfig{JWKSURL: jwks.URL, Issuer: issuer, Audience: audience})}
	logger := logging.Discard()
	if opts.logs != nil {
		logger = logging.New(opts.logs, "info", "gateway")
	}
	srv, err := server.New(server.Deps{
		Config: cfg, Logger: logger, Pool: pool, Redis: rdb, Verifier: h.verifyCnt,
		Resolver: resolver, Metrics: telemetry.NewMetrics("gateway"), OpenAPI: gateway.OpenAPI,
		Transport: opts.transport, Revocations: startFeed(t, rdb, prefix, opts),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	h.gw = httptest.NewServer(srv.Handler())
	t.Cleanup(h.gw.Close)
	return h
}

// startFeed runs a session revocation feed on the test's own key and
// channel until the test ends, and waits for its first load unless Redis
// is a dead one (or the options want it stopped).
func startFeed(t testing.TB, rdb redis.UniversalClient, prefix string, opts options) *auth.Revocations {
	t.Helper()
	feed, err := auth.NewRevocations(auth.RevocationsConfig{
		Redis: rdb, Logger: logging.Discard(), Key: prefix + "revoked", Channel: prefix + "revoked",
	})
	if err != nil {
		t.Fatal(err)
	}
	if opts.feedStopped {
		return feed
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = feed.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if opts.redis == nil {
		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer wcancel()
		if err := feed.WaitLoaded(wctx); err != nil {
			t.Fatal(err)
		}
	}
	return feed
}

// countingVerifier counts full verifications, to observe the token cache.
type countingVerifier struct {
	v *auth.Verifier
	n atomic.Int64
}

func (c *countingVerifier) VerifyAccess(ctx context.Context, token string) (*auth.Claims, error) {
	c.n.Add(1)
	return c.v.VerifyAccess(ctx, token)
}

// claims returns valid access-token claims for user.
func claims(user string) auth.Claims {
	now := time.Now()
	return auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Audience:  jwt.ClaimStrings{audience},
			Subject:   user,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(15 * time.Minute)),
			ID:        user + "-" + now.Format(time.RFC3339Nano),
		},
		OrgID:    "0190a0f0-0000-7000-8000-000000000001",
		Roles:    []string{"admin"},
		Perms:    []string{"*"},
		TokenUse: auth.TokenUseAccess,
	}
}

func (h *harness) token(user string) string {
	h.t.Helper()
	tok, err := h.signer.Sign(claims(user))
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

func (h *harness) tokenWith(c auth.Claims) string {
	h.t.Helper()
	tok, err := h.signer.Sign(c)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

type reqOpt func(*http.Request)

func bearer(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// response is a fully read response.
type response struct {
	*http.Response
	body     []byte
	duration time.Duration
}

func (r response) problemType() string {
	var p struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(r.body, &p)
	return strings.TrimPrefix(p.Type, "https://reos.dev/problems/")
}

func (h *harness) do(method, path, body string, opts ...reqOpt) response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.gw.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{Response: resp, body: b, duration: time.Since(start)}
}

func expectStatus(t testing.TB, r response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.body)
	}
}

func expectProblem(t testing.TB, r response, status int, reason string) {
	t.Helper()
	expectStatus(t, r, status)
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", r.Request.URL.Path, ct)
	}
	if reason != "" && r.problemType() != reason {
		t.Errorf("%s: problem type %q, want %q (body %s)", r.Request.URL.Path, r.problemType(), reason, r.body)
	}
}
