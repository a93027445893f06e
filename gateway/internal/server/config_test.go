package server_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"reos.dev/gateway/internal/server"
	"reos.dev/pkg/config"
)

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	e := config.FromMap(map[string]string{
		"DATABASE_URL":      "postgres://u:p@127.0.0.1:5432/reos",
		"GATEWAY_UPSTREAMS": "identity=http://127.0.0.1:8101",
	})
	c := server.LoadConfig(e)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	if c.UpstreamTimeout != 30*time.Second || c.BodyIdleTimeout != time.Minute || c.BreakerOpenTimeout != 10*time.Second || c.BreakerFailures != 5 {
		t.Errorf("proxy defaults: %+v", c)
	}
	if c.RateLimitUser.Policy() != `"user";q=600;w=60` || c.RateLimitIP.Policy() != `"ip";q=300;w=60` || c.RateLimitAuth.Policy() != `"auth";q=20;w=60` {
		t.Errorf("rate limit defaults: %s %s %s", c.RateLimitUser.Policy(), c.RateLimitIP.Policy(), c.RateLimitAuth.Policy())
	}
	if strings.Join(c.TrustedProxies, ",") != "127.0.0.1/32,::1/128" || c.IdempotencyTTL != 24*time.Hour || c.Common.HTTPAddr != "127.0.0.1:8080" {
		t.Errorf("other defaults: %+v", c)
	}
}

func TestLoadConfigNamesEveryBadVariable(t *testing.T) {
	t.Parallel()
	e := config.FromMap(map[string]string{
		"RATE_LIMIT_USER":      "lots",
		"RATE_LIMIT_AUTH":      "5/0s",
		"TRUSTED_PROXIES":      "not-a-cidr",
		"CORS_ALLOWED_ORIGINS": "https://ok.test,https://bad.test/path",
		"BREAKER_FAILURES":     "0",
		"UPSTREAM_TIMEOUT":     "soon",
		"BODY_IDLE_TIMEOUT":    "0s",
		"AUTH_CACHE_TTL":       "5m",
	})
	server.LoadConfig(e)
	err := e.Err()
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"DATABASE_URL", "GATEWAY_UPSTREAMS", "RATE_LIMIT_USER", "RATE_LIMIT_AUTH", "TRUSTED_PROXIES",
		"CORS_ALLOWED_ORIGINS", "BREAKER_FAILURES", "UPSTREAM_TIMEOUT", "BODY_IDLE_TIMEOUT", "AUTH_CACHE_TTL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

// TestLoadConfigBreakerFailuresFitTheBreaker: the breaker counts
// consecutive failures in a uint32, so a value beyond it is refused at start
// rather than wrapped (4294967301 would have become 5).
func TestLoadConfigBreakerFailuresFitTheBreaker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		want  uint32
		ok    bool
	}{
		{"1", 1, true},
		{"4294967295", math.MaxUint32, true},
		{"0", 0, false},
		{"-1", 0, false},
		{"4294967296", 0, false},
		{"4294967301", 0, false},
	} {
		t.Run(tc.value, func(t *testing.T) {
			t.Parallel()
			e := config.FromMap(map[string]string{
				"DATABASE_URL": "postgres://u@h/d", "GATEWAY_UPSTREAMS": "identity=http://127.0.0.1:8101",
				"BREAKER_FAILURES": tc.value,
			})
			c := server.LoadConfig(e)
			err := e.Err()
			if !tc.ok {
				if err == nil || !strings.Contains(err.Error(), "BREAKER_FAILURES") {
					t.Fatalf("BREAKER_FAILURES=%s accepted (%d): %v", tc.value, c.BreakerFailures, err)
				}
				return
			}
			if err != nil || c.BreakerFailures != tc.want {
				t.Errorf("BREAKER_FAILURES=%s: %d, %v; want %d", tc.value, c.BreakerFailures, err, tc.want)
			}
		})
	}
}

func TestLoadConfigConsulNeedsNoStaticUpstreams(t *testing.T) {
	t.Parallel()
	e := config.FromMap(map[string]string{"DATABASE_URL": "postgres://u@h/d", "CONSUL_HTTP_ADDR": "127.0.0.1:8500"})
	server.LoadConfig(e)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestNewNamesMissingDependencies(t *testing.T) {
	t.Parallel()
	_, err := server.New(server.Deps{})
	if err == nil {
		t.Fatal("New with no dependencies succeeded")
	}
	for _, name := range []string{"Logger", "Metrics", "OpenAPI", "Pool", "Redis", "Resolver", "Revocations", "Verifier"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
