package main

import (
	"os"
	"path/filepath"
	"time"

	"reos.dev/pkg/config"
	"reos.dev/services/identity/internal/app"
)

// Config is identity's own configuration; the variables every service shares
// are read by pkg/service.
//
//	JWT_PRIVATE_KEY_PATH           PEM RSA key that signs tokens. Required with MODE=production
//	                               (the file must exist); in mock mode it defaults to
//	                               $TMPDIR/reos-identity/jwt-signing.pem and is created when missing.
//	JWT_PREVIOUS_PUBLIC_KEYS_PATH  optional PEM file of retired public keys still published in the JWKS.
//	ACCESS_TOKEN_TTL               default 15m.   REFRESH_TOKEN_TTL  default 720h (30 days).
type Config struct {
	JWTPrivateKeyPath   string
	JWTPreviousKeysPath string
	AccessTTL           time.Duration
	RefreshTTL          time.Duration
}

func loadConfig(e *config.Env, common config.Common) Config {
	var c Config
	defKey := ""
	if common.Mode == config.ModeMock {
		defKey = filepath.Join(os.TempDir(), "reos-identity", "jwt-signing.pem")
	}
	c.JWTPrivateKeyPath = e.String("JWT_PRIVATE_KEY_PATH", defKey)
	if c.JWTPrivateKeyPath == "" {
		e.Required("JWT_PRIVATE_KEY_PATH")
	}
	c.JWTPreviousKeysPath = e.String("JWT_PREVIOUS_PUBLIC_KEYS_PATH", "")
	c.AccessTTL = e.Duration("ACCESS_TOKEN_TTL", app.DefaultAccessTTL)
	c.RefreshTTL = e.Duration("REFRESH_TOKEN_TTL", app.DefaultRefreshTTL)
	if c.AccessTTL < time.Minute || c.AccessTTL > time.Hour {
		e.Check("ACCESS_TOKEN_TTL", errAccessTTL)
	}
	if c.RefreshTTL < c.AccessTTL || c.RefreshTTL > 90*24*time.Hour {
		e.Check("REFRESH_TOKEN_TTL", errRefreshTTL)
	}
	return c
}

type configError string

func (e configError) Error() string { return string(e) }

const (
	errAccessTTL  configError = "must be between 1m and 1h"
	errRefreshTTL configError = "must be at least ACCESS_TOKEN_TTL and at most 2160h (90 days)"
)
