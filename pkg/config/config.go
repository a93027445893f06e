// Package config reads configuration from environment variables only. Every
// getter records problems instead of failing fast, so a binary reports all bad
// or missing variables in one message at start.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Env reads variables through a lookup function and collects problems.
type Env struct {
	lookup func(string) (string, bool)
	errs   []error
}

// FromEnv reads the process environment.
func FromEnv() *Env { return New(os.LookupEnv) }

// FromMap reads a fixed map; handy in tests.
func FromMap(m map[string]string) *Env {
	return New(func(k string) (string, bool) { v, ok := m[k]; return v, ok })
}

// New reads through lookup.
func New(lookup func(string) (string, bool)) *Env { return &Env{lookup: lookup} }

func (e *Env) get(name string) (string, bool) {
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (e *Env) fail(name, format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

// String returns the variable or def when unset.
func (e *Env) String(name, def string) string {
	if v, ok := e.get(name); ok {
		return v
	}
	return def
}

// Required returns the variable and records an error when it is unset.
func (e *Env) Required(name string) string {
	v, ok := e.get(name)
	if !ok {
		e.fail(name, "is required")
	}
	return v
}

// Int returns the variable parsed as an integer.
func (e *Env) Int(name string, def int) int {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.fail(name, "must be an integer, got %q", v)
		return def
	}
	return n
}

// IntRange returns the variable as an integer in [lo, hi].
func (e *Env) IntRange(name string, def, lo, hi int) int {
	n := e.Int(name, def)
	if n < lo || n > hi {
		e.fail(name, "must be between %d and %d, got %d", lo, hi, n)
		return def
	}
	return n
}

// Duration returns the variable parsed by time.ParseDuration ("5s", "15m").
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		e.fail(name, "must be a non-negative duration such as 5s or 15m, got %q", v)
		return def
	}
	return d
}

// Bool returns the variable parsed by strconv.ParseBool.
func (e *Env) Bool(name string, def bool) bool {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, "must be true or false, got %q", v)
		return def
	}
	return b
}

// List returns the comma-separated variable with blanks dropped.
func (e *Env) List(name string, def []string) []string {
	v, ok := e.get(name)
	if !ok {
		return def
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// OneOf returns the variable, which must be one of allowed.
func (e *Env) OneOf(name, def string, allowed ...string) string {
	v := e.String(name, def)
	if !slices.Contains(allowed, v) {
		e.fail(name, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	}
	return v
}

// URL returns the variable, which must be an absolute URL with a host.
func (e *Env) URL(name, def string) string {
	v := e.String(name, def)
	if v == "" {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		e.fail(name, "must be an absolute URL, got %q", redact(v))
	}
	return v
}

// Check records err against name when err is non-nil; for rules the getters cannot express.
func (e *Env) Check(name string, err error) {
	if err != nil {
		e.fail(name, "%v", err)
	}
}

// Err returns every recorded problem joined, or nil.
func (e *Env) Err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration: %w", errors.Join(e.errs...))
}

// redact hides a password in a URL so configuration errors never leak secrets.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// Modes a binary may run in.
const (
	ModeMock       = "mock"
	ModeProduction = "production"
)

// Common holds the variables every binary shares.
type Common struct {
	Service      string
	Mode         string
	LogLevel     string
	HTTPAddr     string
	DatabaseURL  string
	DBRole       string
	RedisURL     string
	KafkaBrokers []string
	JWKSURL      string
	JWTIssuer    string
	JWTAudience  string
	OTLPEndpoint string
	// DBMaxConns sizes the service's pool (DB_MAX_CONNS, default 10, at
	// least 2: the outbox relay holds one connection for LISTEN).
	DBMaxConns int32
	// PprofAddr, when set, serves the runtime profiler on its own listener.
	PprofAddr string
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration
}

// LoadCommon reads the shared variables; defaults suit the local dev stack.
func LoadCommon(e *Env, service, defaultAddr string) Common {
	return Common{
		Service:         service,
		Mode:            e.OneOf("MODE", ModeMock, ModeMock, ModeProduction),
		LogLevel:        e.OneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		HTTPAddr:        e.String("HTTP_ADDR", defaultAddr),
		DatabaseURL:     e.URL("DATABASE_URL", ""),
		DBRole:          e.String("DB_ROLE", ""),
		RedisURL:        e.URL("REDIS_URL", "redis://127.0.0.1:6379/0"),
		KafkaBrokers:    e.List("KAFKA_BROKERS", []string{"127.0.0.1:19092"}),
		JWKSURL:         e.URL("JWKS_URL", "http://127.0.0.1:8101/.well-known/jwks.json"),
		JWTIssuer:       e.String("JWT_ISSUER", "reos-identity"),
		JWTAudience:     e.String("JWT_AUDIENCE", "reos-api"),
		OTLPEndpoint:    e.String("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
		PprofAddr:       e.String("PPROF_ADDR", ""),
		DBMaxConns:      int32(e.IntRange("DB_MAX_CONNS", 10, 2, 1000)), // #nosec G115 -- IntRange bounds it to 2..1000
		ShutdownTimeout: e.Duration("SHUTDOWN_TIMEOUT", 15*time.Second),
	}
}
