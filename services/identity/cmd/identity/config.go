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
//	LOGIN_ATTEMPT_RETENTION        how long login attempts (and idle login throttles) are kept;
//	                               default 2160h (90 days), at least 24h.
//	REFRESH_TOKEN_RETENTION        how long a refresh token row is kept after its token can no
//	                               longer be presented; default 720h, at least 1h.
//	RETENTION_INTERVAL             how often the retention worker prunes; default 1h, 0 = off,
//	                               otherwise between 1m and 24h.
//	SESSION_SYNC_INTERVAL          how often the sessions ended within the last access-token
//	                               lifetime are announced to the verifiers again, closing the gap
//	                               a failed announcement leaves; default 5s, between 1s and 1m.
type Config struct {
	JWTPrivateKeyPath   string
	JWTPreviousKeysPath string
	AccessTTL           time.Duration
	RefreshTTL          time.Duration
	Retention           app.RetentionConfig
	SessionSyncInterval time.Duration
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
	loadRetention(e, &c.Retention)
	c.SessionSyncInterval = e.Duration("SESSION_SYNC_INTERVAL", app.DefaultSessionSyncInterval)
	if c.SessionSyncInterval < time.Second || c.SessionSyncInterval > time.Minute {
		e.Check("SESSION_SYNC_INTERVAL", errSessionSyncInterval)
	}
	return c
}

// loadRetention reads the retention settings. The floors are the ones the
// prune functions enforce (migration 000005), so a setting below them is
// refused rather than silently raised.
func loadRetention(e *config.Env, r *app.RetentionConfig) {
	r.AttemptRetention = e.Duration("LOGIN_ATTEMPT_RETENTION", app.DefaultAttemptRetention)
	r.RefreshRetention = e.Duration("REFRESH_TOKEN_RETENTION", app.DefaultRefreshRetention)
	r.Interval = e.Duration("RETENTION_INTERVAL", app.DefaultRetentionInterval)
	if r.AttemptRetention < 24*time.Hour {
		e.Check("LOGIN_ATTEMPT_RETENTION", errAttemptRetention)
	}
	if r.RefreshRetention < time.Hour {
		e.Check("REFRESH_TOKEN_RETENTION", errRefreshRetention)
	}
	if r.Interval != 0 && (r.Interval < time.Minute || r.Interval > 24*time.Hour) {
		e.Check("RETENTION_INTERVAL", errRetentionInterval)
	}
}

type configError string

func (e configError) Error() string { return string(e) }

const (
	errAccessTTL  configError = "must be between 1m and 1h"
	errRefreshTTL configError = "must be at least ACCESS_TOKEN_TTL and at most 2160h (90 days)"

	errAttemptRetention  configError = "must be at least 24h (the login lockout memory)"
	errRefreshRetention  configError = "must be at least 1h"
	errRetentionInterval configError = "must be 0 (off) or between 1m and 24h"

	errSessionSyncInterval configError = "must be between 1s and 1m"
)
