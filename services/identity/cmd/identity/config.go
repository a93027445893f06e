package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/config"
	"reos.dev/services/identity/internal/app"
)

type postgresPool = pgxpool.Pool

// HTTP server timeouts. Write covers an argon2id verification under load.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
)

// Config is the binary's configuration: the variables every binary shares
// plus identity's own.
//
//	JWT_PRIVATE_KEY_PATH           PEM RSA key that signs tokens. Required with MODE=production
//	                               (the file must exist); in mock mode it defaults to
//	                               $TMPDIR/reos-identity/jwt-signing.pem and is created when missing.
//	JWT_PREVIOUS_PUBLIC_KEYS_PATH  optional PEM file of retired public keys still published in the JWKS.
//	ACCESS_TOKEN_TTL               default 15m.   REFRESH_TOKEN_TTL  default 720h (30 days).
//	DB_MAX_CONNS                   pool size, default 10 (the outbox relay keeps one for LISTEN).
type Config struct {
	config.Common
	JWTPrivateKeyPath   string
	JWTPreviousKeysPath string
	AccessTTL           time.Duration
	RefreshTTL          time.Duration
	DBMaxConns          int32
}

func loadConfig(e *config.Env) (Config, error) {
	c := Config{Common: config.LoadCommon(e, "identity", "127.0.0.1:8101")}
	e.Required("DATABASE_URL")
	defKey := ""
	if c.Mode == config.ModeMock {
		defKey = filepath.Join(os.TempDir(), "reos-identity", "jwt-signing.pem")
	}
	c.JWTPrivateKeyPath = e.String("JWT_PRIVATE_KEY_PATH", defKey)
	if c.JWTPrivateKeyPath == "" {
		e.Required("JWT_PRIVATE_KEY_PATH")
	}
	c.JWTPreviousKeysPath = e.String("JWT_PREVIOUS_PUBLIC_KEYS_PATH", "")
	c.AccessTTL = e.Duration("ACCESS_TOKEN_TTL", app.DefaultAccessTTL)
	c.RefreshTTL = e.Duration("REFRESH_TOKEN_TTL", app.DefaultRefreshTTL)
	n := e.Int("DB_MAX_CONNS", 10)
	if n < 2 || n > 1000 {
		e.Check("DB_MAX_CONNS", errTooFew)
	}
	c.DBMaxConns = int32(n)
	if c.AccessTTL < time.Minute || c.AccessTTL > time.Hour {
		e.Check("ACCESS_TOKEN_TTL", errAccessTTL)
	}
	if c.RefreshTTL < c.AccessTTL || c.RefreshTTL > 90*24*time.Hour {
		e.Check("REFRESH_TOKEN_TTL", errRefreshTTL)
	}
	return c, e.Err()
}

type configError string

func (e configError) Error() string { return string(e) }

const (
	errTooFew     configError = "must be between 2 and 1000 (the outbox relay holds one connection)"
	errAccessTTL  configError = "must be between 1m and 1h"
	errRefreshTTL configError = "must be at least ACCESS_TOKEN_TTL and at most 2160h (90 days)"
)
