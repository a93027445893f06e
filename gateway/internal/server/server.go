// Package server assembles the gateway: the middleware chain, the local
// endpoints and the API pipeline in front of the proxy.
//
// Every request passes, in order: idle deadlines on the client's
// connection → security headers → request id → access log and metrics →
// panic recovery → CORS (preflights end here) → routing.
// A request under /api/v1 that is proxied then goes through:
//
//  1. path check (non-canonical → 400) and route lookup (unknown → 404);
//  2. the per-IP limit, before authentication: an address that has used up
//     its budget of anonymous requests and failed authentications is
//     refused (429) without its token being verified;
//  3. authentication, unless the route is public (→ 401, which counts
//     against the address's per-IP budget and carries its RateLimit
//     headers; or 503 when the signing keys cannot be fetched);
//  4. rate limits, one Redis round trip (→ 429): per user when
//     authenticated, per IP when not, plus the strict auth limit per IP
//     and per account on the routes that take credentials;
//  5. upstream resolution (not configured → 503 upstream_not_configured, no
//     healthy instance or open breaker → 503 upstream_unavailable);
//  6. idempotency, for POST/PUT/PATCH/DELETE with an Idempotency-Key, except
//     on the routes whose answers carry credentials (served as if no key had
//     been sent);
//  7. the proxy (timeouts → 504, transport errors → 502).
//
// The per-IP budget is spent only by requests that are not authenticated:
// an authenticated caller is limited per user, so colleagues behind one
// office address do not share a budget. Step 2 costs no Redis round trip:
// it asks which address windows this process has seen fill up
// (ratelimit.Refusals); a replica that has not seen one fill learns it at
// step 3, at the cost of one verification and one Redis call.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"reos.dev/gateway/internal/authn"
	"reos.dev/gateway/internal/clientip"
	"reos.dev/gateway/internal/discovery"
	"reos.dev/gateway/internal/docs"
	"reos.dev/gateway/internal/headers"
	"reos.dev/gateway/internal/openapi"
	"reos.dev/gateway/internal/proxy"
	"reos.dev/gateway/internal/routing"
	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/health"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/idempotency"
	"reos.dev/pkg/ratelimit"
	"reos.dev/pkg/telemetry"
)

// Reasons of problems written by the server itself.
const (
	ReasonNotConfigured        = "upstream_not_configured"
	ReasonRateLimitUnavailable = "rate_limit_unavailable"
	ReasonNonCanonicalPath     = "non_canonical_path"
)

// PermMetrics is the permission that reads the gateway's metrics at
// /api/v1/metrics. It is named in the admin resource, so it is held through
// "admin:*" or "*" (the admin role); the catalogue grants no finer one.
const PermMetrics = "admin:metrics"

// IdempotencyTable is where the gateway keeps its idempotency keys.
const IdempotencyTable = "gateway.idempotency_keys"

// Deps are the server's collaborators.
type Deps struct {
	Config   Config
	Logger   *slog.Logger
	Pool     *pgxpool.Pool
	Redis    redis.UniversalClient
	Verifier authn.TokenVerifier
	Resolver discovery.Resolver
	Metrics  *telemetry.Metrics
	// OpenAPI is the gateway's own document (openapi.yaml).
	OpenAPI []byte
	// Transport reaches the upstreams; nil means proxy.NewTransport().
	Transport http.RoundTripper
	// Routes, Public and Credentials default to routing.DefaultRoutes,
	// DefaultPublic and DefaultCredentials.
	Routes      []routing.Route
	Public      *routing.Public
	Credentials *routing.PathSet
	// Revocations is the session revocation feed the Verifier follows;
	// /readyz reports it ("revocations"): a gateway whose feed is not live
	// refuses every token until its first load, and after a loss serves
	// only the endings it held.
	Revocations *auth.Revocations
}

// limiter decides rate limits: ratelimit.Limiter (every request in Redis)
// or its Leased front (busy clients served from local leases).
type limiter interface {
	Allow(ctx context.Context, checks ...ratelimit.Check) (ratelimit.Decision, error)
}

// Server is the gateway's HTTP handler and background work.
type Server struct {
	cfg      Config
	logger   *slog.Logger
	table    *routing.Table
	public   *routing.Public
	creds    *routing.PathSet
	authn    *authn.Authenticator
	verifier authn.TokenVerifier
	limiter  limiter
	refusals *ratelimit.Refusals
	ips      *clientip.Resolver
	resolver discovery.Resolver
	proxy    *proxy.Proxy
	store    *idempotency.Store
	idem     *idempotency.Handler
	checker  *health.Checker
	probe    *http.Client
	openapi  *openapi.Handler
	docs     http.Handler
	metrics  *telemetry.Metrics
	// apiMetrics is /api/v1/metrics: the metrics, for PermMetrics holders.
	apiMetrics http.Handler
	handler    http.Handler

	requests     map[string]*[6]prometheus.Counter
	rlRejected   *prometheus.CounterVec
	rlErrors     *prometheus.CounterVec
	lastRLWarn   atomic.Int64
	idemOutcomes *prometheus.CounterVec
}

// New wires the server. It returns an error naming any missing dependency
// or bad setting.
func New(d Deps) (*Server, error) {
	var missing []string
	for name, nilDep := range map[string]bool{
		"Logger": d.Logger == nil, "Pool": d.Pool == nil, "Redis": d.Redis == nil,
		"Verifier": d.Verifier == nil, "Resolver": d.Resolver == nil, "Metrics": d.Metrics == nil,
		"OpenAPI": len(d.OpenAPI) == 0, "Revocations": d.Revocations == nil,
	} {
		if nilDep {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, errors.New("server: missing dependencies: " + strings.Join(missing, ", "))
	}
	routes := d.Routes
	if routes == nil {
		routes = routing.DefaultRoutes()
	}
	table, err := routing.NewTable(routes)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      d.Config,
		logger:   d.Logger.With("component", "gateway"),
		table:    table,
		public:   d.Public,
		creds:    d.Credentials,
		refusals: ratelimit.NewRefusals(),
		resolver: d.Resolver,
		verifier: d.Verifier,
		metrics:  d.Metrics,
		docs:     docs.Handler(),
	}
	s.apiMetrics = s.require(PermMetrics, d.Metrics.Handler())
	if s.public == nil {
		s.public = routing.DefaultPublic()
	}
	if s.creds == nil {
		s.creds = routing.DefaultCredentials()
	}
	if s.authn, err = authn.New(authn.Config{Verifier: d.Verifier, CacheSize: d.Config.AuthCacheSize, CacheTTL: d.Config.AuthCacheTTL}); err != nil {
		return nil, err
	}
	exact, err := ratelimit.New(d.Redis, d.Config.RateLimitPrefix)
	if err != nil {
		return nil, err
	}
	s.limiter = exact
	if d.Config.RateLimitLease > 0 {
		if s.limiter, err = exact.Leased(d.Config.RateLimitLease, d.Config.RateLimitMaxLease); err != nil {
			return nil, err
		}
	}
	if s.ips, err = clientip.New(d.Config.TrustedProxies); err != nil {
		return nil, err
	}
	cors, err := headers.NewCORS(d.Config.CORSAllowedOrigins)
	if err != nil {
		return nil, err
	}
	transport := d.Transport
	if transport == nil {
		transport = proxy.NewTransport()
	}
	reg := d.Metrics.Registry()
	if s.proxy, err = proxy.New(proxy.Config{
		Upstreams:          table.Upstreams(),
		Transport:          transport,
		Timeout:            d.Config.UpstreamTimeout,
		IdleTimeout:        d.Config.BodyIdleTimeout,
		BreakerFailures:    d.Config.BreakerFailures,
		BreakerOpenTimeout: d.Config.BreakerOpenTimeout,
		Trusted:            s.ips,
		Logger:             d.Logger,
		Registerer:         reg,
	}); err != nil {
		return nil, err
	}
	if s.store, err = idempotency.NewStore(d.Pool, idempotency.StoreConfig{
		Table: IdempotencyTable, TTL: d.Config.IdempotencyTTL, LockTimeout: d.Config.IdempotencyLockTimeout,
	}); err != nil {
		return nil, err
	}
	if err := s.registerMetrics(reg); err != nil {
		return nil, err
	}
	if s.idem, err = idempotency.NewHandler(idempotency.HandlerConfig{
		Store: s.store, Logger: d.Logger, MaxBody: d.Config.IdempotencyMaxBody,
		Observe: func(outcome string) { s.idemOutcomes.WithLabelValues(outcome).Inc() },
	}); err != nil {
		return nil, err
	}

	s.checker = health.New(d.Logger)
	s.checker.Add("postgres", health.PingPostgres(d.Pool))
	s.checker.Add("redis", health.PingRedis(d.Redis))
	s.checker.Add("revocations", d.Revocations.Ready)
	s.probe = &http.Client{Transport: transport, Timeout: health.CheckTimeout}
	if s.openapi, err = openapi.NewHandler(openapi.HandlerConfig{
		Base: d.OpenAPI, Services: table.Upstreams(), Resolve: d.Resolver.Resolve,
		Client: &http.Client{Transport: transport}, CacheTTL: d.Config.OpenAPICacheTTL, Logger: d.Logger,
		Shared: openapi.GatewayResponses(), Public: s.public.Allows,
	}); err != nil {
		return nil, err
	}

	s.handler = httpx.Chain(http.HandlerFunc(s.route),
		// Outermost: the client's own pauses (sending its body, reading
		// the answer) are bounded on its connection, for the idempotency
		// layer's body read as well as the proxy's.
		httpx.IdleDeadlines(d.Config.BodyIdleTimeout, d.Config.BodyIdleTimeout),
		headers.NewSecurity().Middleware,
		httpx.RequestID,
		s.observe,
		httpx.Recover(d.Logger),
		cors.Middleware,
	)
	return s, nil
}

func (s *Server) registerMetrics(reg prometheus.Registerer) error {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_requests_total",
		Help: "Requests answered by the gateway, by upstream (\"gateway\" for local and unrouted requests) and status class.",
	}, []string{"upstream", "class"})
	s.rlRejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_ratelimit_rejections_total", Help: "Requests refused by a rate limit, by policy.",
	}, []string{"policy"})
	s.rlErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_ratelimit_errors_total",
		Help: "Rate-limit decisions Redis could not make, by what the gateway did (open: let through, closed: refused).",
	}, []string{"mode"})
	s.idemOutcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_idempotency_total", Help: "Idempotent requests by outcome.",
	}, []string{"outcome"})
	for _, c := range []prometheus.Collector{requests, s.rlRejected, s.rlErrors, s.idemOutcomes} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	s.requests = map[string]*[6]prometheus.Counter{}
	classes := [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}
	for _, up := range append(s.table.Upstreams(), "gateway") {
		var cs [6]prometheus.Counter
		for i, c := range classes {
			cs[i] = requests.WithLabelValues(up, c)
		}
		s.requests[up] = &cs
	}
	return nil
}

// Handler returns the gateway's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Run does the background work (purging expired idempotency keys) until
// ctx ends.
func (s *Server) Run(ctx context.Context) {
	s.store.RunPurger(ctx, 10*time.Minute, s.logger)
}

// reqInfo is what the inner handlers learn about a request, for the access
// log and metrics written by the outer observe middleware.
type reqInfo struct {
	upstream string
	userID   string
	orgID    string
}

type infoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &reqInfo{upstream: "gateway"}
		rec := &httpx.Recorder{ResponseWriter: w}
		aborted := true
		// Deferred: a response cut mid-body (http.ErrAbortHandler, which
		// passes on to net/http) is still counted and logged.
		defer func() {
			s.logRequest(r, rec, info, start, aborted)
		}()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		aborted = false
	})
}

// logRequest counts the request and writes its access log line; aborted
// means the response was cut mid-body.
func (s *Server) logRequest(r *http.Request, rec *httpx.Recorder, info *reqInfo, start time.Time, aborted bool) {
	status := rec.Status()
	if cs := s.requests[info.upstream]; cs != nil {
		cs[classIndex(status)].Inc()
	}
	if !s.cfg.AccessLog {
		return
	}
	msg := "http request"
	if aborted {
		msg = "http request aborted mid-response"
	}
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, msg,
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int64("bytes", rec.Bytes()),
		slog.Duration("duration", time.Since(start)),
		slog.String("upstream", info.upstream),
		slog.String("user_id", info.userID),
		slog.String("org_id", info.orgID),
		slog.String("remote", r.RemoteAddr),
	)
}

func classIndex(status int) int {
	if c := status / 100; c >= 1 && c <= 5 {
		return c
	}
	return 0
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, routing.APIPrefix+"/"):
		switch {
		case path == routing.APIPrefix+"/openapi.json":
			s.local(w, r, s.openapi)
		case path == routing.APIPrefix+"/healthz":
			s.local(w, r, s.checker.Healthz())
		case path == routing.APIPrefix+"/readyz":
			s.local(w, r, http.HandlerFunc(s.readyz))
		case path == routing.APIPrefix+"/metrics":
			s.local(w, r, s.apiMetrics)
		case path == docs.Prefix || strings.HasPrefix(path, docs.Prefix+"/"):
			s.local(w, r, s.docs)
		default:
			s.api(w, r)
		}
	case path == "/healthz":
		s.local(w, r, s.checker.Healthz())
	case path == "/readyz":
		s.local(w, r, http.HandlerFunc(s.readyz))
	case path == "/metrics":
		s.local(w, r, s.metrics.Handler())
	default:
		httpx.NotFoundHandler().ServeHTTP(w, r)
	}
}

// local serves one of the gateway's own read-only endpoints. Those under
// /api/v1 (the document, the docs, and the seed's meta routes healthz,
// readyz and metrics) are rate limited per IP like any anonymous API call;
// the probes and metrics on the root, which load balancers and Prometheus
// reach on the gateway's own port (nginx serves no /metrics), are not, so a
// flood cannot blind monitoring.
func (s *Server) local(w http.ResponseWriter, r *http.Request, h http.Handler) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpx.MethodNotAllowedHandler().ServeHTTP(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, routing.APIPrefix+"/") {
		if !s.rateLimit(w, r, false, s.ipCheck(s.clientIP(r))) {
			return
		}
	}
	h.ServeHTTP(w, r)
}

// require lets through a caller whose access token holds perm (see
// auth.Principal.Can): 401 without a usable token, 403 missing_permission
// without the permission. The token is verified here rather than through
// the token cache, which keeps no permissions; the caller already spent
// its per-IP budget in local, so a failed token is counted like one on a
// proxied route. The answer is not for caches.
func (s *Server) require(perm string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := authn.BearerToken(r.Header["Authorization"])
		var claims *auth.Claims
		if err == nil {
			claims, err = s.verifier.VerifyAccess(r.Context(), token)
		}
		if err != nil {
			s.unauthorized(w, r, err)
			return
		}
		info := infoFrom(r.Context())
		info.userID, info.orgID = claims.Subject, claims.OrgID
		if !claims.Principal().Can(perm) {
			httpx.WriteError(w, r, nil, apperr.Forbidden(auth.ReasonMissingPermission, "requires permission "+perm))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) clientIP(r *http.Request) string {
	a := s.ips.ClientIP(r.RemoteAddr, r.Header["X-Forwarded-For"])
	if !a.IsValid() {
		return "unknown"
	}
	return a.String()
}

func (s *Server) ipCheck(ip string) ratelimit.Check {
	return ratelimit.Check{Limit: s.cfg.RateLimitIP, Subject: ip}
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if !routing.Canonical(path) {
		httpx.WriteError(w, r, nil, apperr.BadRequest("path", "must not contain empty, '.' or '..' segments"))
		return
	}
	rt, ok := s.table.Lookup(path)
	if !ok {
		httpx.NotFoundHandler().ServeHTTP(w, r)
		return
	}
	info := infoFrom(r.Context())
	info.upstream = rt.Upstream

	ip := s.clientIP(r)
	byIP := s.ipCheck(ip)
	if d, refused := s.refusals.Refused(byIP); refused {
		s.refuse(w, r, d)
		return
	}

	var id authn.Identity
	authenticated := false
	if !s.public.Allows(r.Method, path) {
		var err error
		id, err = s.authn.Authenticate(r.Context(), r.Header["Authorization"])
		if err != nil {
			// A failed authentication spends the address's budget like
			// an anonymous request, and its 401 says how much is left.
			if s.rateLimit(w, r, false, byIP) {
				s.unauthorized(w, r, err)
			}
			return
		}
		authenticated = true
		info.userID, info.orgID = id.UserID, id.OrgID
	}

	// Routes that take a credential have the strict limit on top, per
	// address and, once the caller is known, per account: a stolen token
	// guessing the current password is throttled from any address. The
	// account of a login or registration (the email in the body) is not
	// read here, so the body streams untouched; identity's lockout is the
	// per-account limit there (5 failures in a row lock the email).
	credential := s.creds.Contains(path)
	var checks [3]ratelimit.Check
	n := 1
	if authenticated {
		checks[0] = ratelimit.Check{Limit: s.cfg.RateLimitUser, Subject: id.UserID}
	} else {
		checks[0] = byIP
	}
	if credential {
		checks[n] = ratelimit.Check{Limit: s.cfg.RateLimitAuth, Subject: ip}
		n++
		if authenticated {
			checks[n] = ratelimit.Check{Limit: s.cfg.RateLimitAccount, Subject: id.UserID}
			n++
		}
	}
	if !s.rateLimit(w, r, credential, checks[:n]...) {
		return
	}

	up := s.proxy.Upstream(rt.Upstream)
	target, err := s.resolver.Resolve(rt.Upstream)
	switch {
	case errors.Is(err, discovery.ErrNotConfigured) || (err == nil && up == nil):
		httpx.WriteError(w, r, nil, apperr.New(apperr.KindUnavailable, ReasonNotConfigured,
			"the "+rt.Upstream+" service is not configured in this deployment"))
		return
	case err != nil:
		s.proxy.WriteUnavailable(w, r, "no healthy instance of the "+rt.Upstream+" service")
		return
	case up.Open():
		// Refuse before claiming an idempotency key that would only be released.
		s.proxy.WriteUnavailable(w, r, "the "+rt.Upstream+" service is failing; retry later")
		return
	}

	// An answer that carries credentials is never stored for a replay: the
	// request is served as if it had no Idempotency-Key (each one reaches
	// the service, none is marked as a replay), and nothing may cache it.
	opts := proxy.Options{NoStore: rt.Secret || credential}
	if idempotency.Applies(r) {
		if !opts.NoStore {
			scope := "ip:" + ip
			if authenticated {
				scope = "user:" + id.UserID
			}
			s.idem.Serve(w, r, scope, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s.proxy.Serve(w, r, up, target, opts)
			}))
			return
		}
		r.Header.Del(idempotency.HeaderKey)
		s.idemOutcomes.WithLabelValues("skipped_credentials").Inc()
	}
	s.proxy.Serve(w, r, up, target, opts)
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindUnauthorized {
		challenge := `Bearer error="invalid_token"`
		if authn.IsMissingToken(err) {
			challenge = "Bearer" // RFC 6750 §3.1: no error code when no token was sent
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	httpx.WriteError(w, r, s.logger, err)
}

// rateLimit applies the checks and writes the RateLimit headers; it answers
// the request itself (429, or 503) and returns false when it must stop. A
// per-IP window found full is remembered (see ratelimit.Refusals), so the
// address's next requests are refused before authentication.
//
// Redis outage policy: the routes that take credentials fail closed (503,
// failClosed), because their limit is what stops password guessing; every
// other request fails open, with a warning at most every 10 s and
// gateway_ratelimit_errors_total{mode="open"}, because refusing all traffic
// would turn a cache outage into a full outage while authentication and
// per-service checks still hold.
func (s *Server) rateLimit(w http.ResponseWriter, r *http.Request, failClosed bool, checks ...ratelimit.Check) bool {
	d, err := s.limiter.Allow(r.Context(), checks...)
	if err != nil {
		if failClosed {
			s.rlErrors.WithLabelValues("closed").Inc()
			s.logger.ErrorContext(r.Context(), "rate limiter unavailable; refusing an auth request", "error", err)
			httpx.WriteError(w, r, nil, apperr.New(apperr.KindUnavailable, ReasonRateLimitUnavailable,
				"authentication is temporarily unavailable; retry shortly"))
			return false
		}
		s.rlErrors.WithLabelValues("open").Inc()
		now := time.Now().UnixNano()
		if last := s.lastRLWarn.Load(); now-last > int64(10*time.Second) && s.lastRLWarn.CompareAndSwap(last, now) {
			s.logger.WarnContext(r.Context(), "rate limiter unavailable; letting requests through unthrottled", "error", err)
		}
		return true
	}
	for _, c := range checks {
		if c.Limit.Name == s.cfg.RateLimitIP.Name {
			s.refusals.Note(d, c)
		}
	}
	if d.Allowed {
		d.SetHeaders(w.Header())
		return true
	}
	s.refuse(w, r, d)
	return false
}

// refuse answers 429 for a refused decision.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, d ratelimit.Decision) {
	d.SetHeaders(w.Header())
	for i := range d.Len() {
		if res := d.Result(i); res.Remaining == 0 {
			s.rlRejected.WithLabelValues(res.Limit.Name).Inc()
			break
		}
	}
	httpx.WriteError(w, r, nil, d.Err())
}
