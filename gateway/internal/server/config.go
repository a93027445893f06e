package server

import (
	"fmt"
	"math"
	"time"

	"reos.dev/gateway/internal/authn"
	"reos.dev/gateway/internal/clientip"
	"reos.dev/gateway/internal/headers"
	"reos.dev/gateway/internal/openapi"
	"reos.dev/gateway/internal/proxy"
	"reos.dev/pkg/config"
	"reos.dev/pkg/idempotency"
	"reos.dev/pkg/ratelimit"
)

// Rate-limit leasing defaults: a busy client is served from leases of up to
// 64 admissions lasting 100 ms (see ratelimit.Leased for what that trades).
const (
	DefaultRateLimitLease    = 100 * time.Millisecond
	DefaultRateLimitMaxLease = 64
)

// Config is the gateway's configuration, read from the environment.
type Config struct {
	Common config.Common

	// Upstreams is GATEWAY_UPSTREAMS (name=url pairs), used when ConsulAddr is empty.
	Upstreams string
	// ConsulAddr is CONSUL_HTTP_ADDR; when set, upstreams are found in Consul.
	ConsulAddr  string
	ConsulToken string

	// UpstreamTimeout bounds the wait for an upstream's response headers
	// once the request body is forwarded; BodyIdleTimeout bounds every
	// pause of a body in either direction (see package proxy).
	UpstreamTimeout    time.Duration
	BodyIdleTimeout    time.Duration
	BreakerFailures    uint32
	BreakerOpenTimeout time.Duration

	RateLimitUser ratelimit.Limit
	RateLimitIP   ratelimit.Limit
	// RateLimitAuth is the strict limit of the routes that take
	// credentials, per client address; RateLimitAccount has its numbers
	// and applies per account (the caller) on the authenticated ones.
	RateLimitAuth    ratelimit.Limit
	RateLimitAccount ratelimit.Limit
	RateLimitPrefix  string
	// RateLimitLease is how long a lease of admissions lasts (0: every
	// request decided in Redis); RateLimitMaxLease bounds one lease.
	RateLimitLease    time.Duration
	RateLimitMaxLease int

	TrustedProxies     []string
	CORSAllowedOrigins []string

	IdempotencyTTL         time.Duration
	IdempotencyLockTimeout time.Duration
	IdempotencyMaxBody     int64

	AuthCacheSize int
	AuthCacheTTL  time.Duration

	OpenAPICacheTTL time.Duration
	AccessLog       bool
}

// LoadConfig reads the gateway's variables (and the common ones) from e;
// call e.Err() afterwards to learn about every bad variable at once.
func LoadConfig(e *config.Env) Config {
	c := Config{
		Common:                 config.LoadCommon(e, "gateway", "127.0.0.1:8080"),
		Upstreams:              e.String("GATEWAY_UPSTREAMS", ""),
		ConsulAddr:             e.String("CONSUL_HTTP_ADDR", ""),
		ConsulToken:            e.String("CONSUL_HTTP_TOKEN", ""),
		UpstreamTimeout:        e.Duration("UPSTREAM_TIMEOUT", proxy.DefaultTimeout),
		BodyIdleTimeout:        e.Duration("BODY_IDLE_TIMEOUT", proxy.DefaultIdleTimeout),
		BreakerOpenTimeout:     e.Duration("BREAKER_OPEN_TIMEOUT", proxy.DefaultBreakerOpenTimeout),
		RateLimitPrefix:        e.String("RATE_LIMIT_PREFIX", "reos:gateway:rl:"),
		RateLimitLease:         e.Duration("RATE_LIMIT_LEASE", DefaultRateLimitLease),
		RateLimitMaxLease:      e.IntRange("RATE_LIMIT_MAX_LEASE", DefaultRateLimitMaxLease, 1, 1024),
		TrustedProxies:         e.List("TRUSTED_PROXIES", clientip.DefaultTrusted()),
		CORSAllowedOrigins:     e.List("CORS_ALLOWED_ORIGINS", nil),
		IdempotencyTTL:         e.Duration("IDEMPOTENCY_TTL", idempotency.DefaultTTL),
		IdempotencyLockTimeout: e.Duration("IDEMPOTENCY_LOCK_TIMEOUT", idempotency.DefaultLockTimeout),
		IdempotencyMaxBody:     int64(e.Int("IDEMPOTENCY_MAX_BODY", idempotency.DefaultMaxBody)),
		AuthCacheSize:          e.Int("AUTH_CACHE_SIZE", authn.DefaultCacheSize),
		AuthCacheTTL:           e.Duration("AUTH_CACHE_TTL", authn.DefaultCacheTTL),
		OpenAPICacheTTL:        e.Duration("OPENAPI_CACHE_TTL", openapi.DefaultCacheTTL),
		AccessLog:              e.Bool("ACCESS_LOG", true),
	}
	limit := func(env, name, def string) ratelimit.Limit {
		l, err := ratelimit.ParseLimit(name, e.String(env, def))
		e.Check(env, err)
		return l
	}
	c.RateLimitUser = limit("RATE_LIMIT_USER", "user", "600/60s")
	c.RateLimitIP = limit("RATE_LIMIT_IP", "ip", "300/60s")
	c.RateLimitAuth = limit("RATE_LIMIT_AUTH", "auth", "20/60s")
	if l, err := ratelimit.NewLimit("account", c.RateLimitAuth.Requests, c.RateLimitAuth.Window); err == nil {
		c.RateLimitAccount = l
	} // else RATE_LIMIT_AUTH itself is reported

	if c.Common.DatabaseURL == "" {
		e.Check("DATABASE_URL", fmt.Errorf("is required (the gateway keeps idempotency keys in PostgreSQL)"))
	}
	if c.Upstreams == "" && c.ConsulAddr == "" {
		e.Check("GATEWAY_UPSTREAMS", fmt.Errorf("is required when CONSUL_HTTP_ADDR is not set"))
	}
	if c.RateLimitLease > time.Second {
		e.Check("RATE_LIMIT_LEASE", fmt.Errorf("must be at most 1s (0 turns leasing off), got %s", c.RateLimitLease))
	}
	// The breaker counts consecutive failures in a uint32: a larger value
	// is refused here rather than wrapped around.
	if n := e.Int("BREAKER_FAILURES", proxy.DefaultBreakerFailures); n >= 1 && n <= math.MaxUint32 {
		c.BreakerFailures = uint32(n)
	} else {
		e.Check("BREAKER_FAILURES", fmt.Errorf("must be between 1 and %d, got %d", uint32(math.MaxUint32), n))
	}
	if c.UpstreamTimeout <= 0 {
		e.Check("UPSTREAM_TIMEOUT", fmt.Errorf("must be positive"))
	}
	if c.BodyIdleTimeout <= 0 {
		e.Check("BODY_IDLE_TIMEOUT", fmt.Errorf("must be positive"))
	}
	if c.IdempotencyMaxBody < 1 {
		e.Check("IDEMPOTENCY_MAX_BODY", fmt.Errorf("must be a positive number of bytes"))
	}
	if c.AuthCacheTTL > authn.DefaultCacheTTL {
		e.Check("AUTH_CACHE_TTL", fmt.Errorf("must be at most %s", authn.DefaultCacheTTL))
	}
	if _, err := clientip.New(c.TrustedProxies); err != nil {
		e.Check("TRUSTED_PROXIES", err)
	}
	if _, err := headers.NewCORS(c.CORSAllowedOrigins); err != nil {
		e.Check("CORS_ALLOWED_ORIGINS", err)
	}
	return c
}
