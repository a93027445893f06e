// Package authn verifies the bearer token of a request at the gateway.
//
// Verification is pkg/auth's Verifier (RS256 pinned, iss/aud/exp/token_use
// checked, JWKS fetched from identity and cached, ended sessions refused).
// An RSA signature check costs tens of microseconds, more than the rest of
// the gateway's work per request, so verified tokens are remembered in a
// small bounded cache:
//
//   - key: SHA-256 of the raw token (the token itself is never kept);
//   - value: the caller's user and org id and the token's session (sid);
//   - lifetime: until the token's exp or 60 s after verification, whichever
//     comes first, so an expired token is never served from the cache and a
//     signing key withdrawn from the JWKS stops being honoured within 60 s;
//   - size: bounded (default 10 000 entries, about 1.5 MB); when full,
//     expired entries go first, then arbitrary ones.
//
// The cache saves the signature check, never the revocation check: on every
// hit the session is checked again (SessionChecker, an in-memory lookup in
// auth.Revocations), so a token cached while its session was live is
// refused (401 session_revoked) as soon as the session ends.
//
// Only successes are cached: a bad token costs a full verification every
// time, which the per-IP rate limit bounds. The Authorization header is
// forwarded unchanged and every service verifies it again.
package authn

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"time"
	"unsafe"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
)

// Defaults for the verified-token cache.
const (
	DefaultCacheSize = 10000
	DefaultCacheTTL  = 60 * time.Second
	shards           = 16
)

// ReasonMissingToken is the problem reason when no bearer token was sent.
const ReasonMissingToken = "missing_token"

// TokenVerifier checks an access token; *auth.Verifier implements it.
type TokenVerifier interface {
	VerifyAccess(ctx context.Context, token string) (*auth.Claims, error)
}

// SessionChecker re-checks the session of a verified token; *auth.Verifier
// implements it (auth.Verifier.CheckSession).
type SessionChecker interface {
	CheckSession(sid string) error
}

// Identity is the verified caller.
type Identity struct {
	UserID string
	OrgID  string
}

// Authenticator verifies bearer tokens with a cache in front.
type Authenticator struct {
	verifier TokenVerifier
	sessions SessionChecker // nil: the verifier checks no sessions
	ttl      time.Duration
	perShard int
	now      func() time.Time
	shards   [shards]cacheShard
}

type cacheShard struct {
	mu      sync.RWMutex
	entries map[[sha256.Size]byte]entry
}

type entry struct {
	id      Identity
	sid     string
	expires time.Time
}

// Config configures an Authenticator.
type Config struct {
	// Verifier checks tokens on a cache miss. When it also implements
	// SessionChecker (auth.Verifier does), cache hits are checked with it
	// too; a verifier that checks no sessions has none to re-check.
	Verifier TokenVerifier
	// CacheSize bounds the verified-token cache (DefaultCacheSize when 0;
	// negative disables caching).
	CacheSize int
	// CacheTTL caps how long a verification is reused (DefaultCacheTTL when 0).
	CacheTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// New returns an Authenticator; it rejects a nil verifier.
func New(cfg Config) (*Authenticator, error) {
	if cfg.Verifier == nil {
		return nil, errors.New("authn: nil verifier")
	}
	a := &Authenticator{verifier: cfg.Verifier, ttl: cfg.CacheTTL, now: cfg.Now}
	a.sessions, _ = cfg.Verifier.(SessionChecker)
	if a.ttl <= 0 {
		a.ttl = DefaultCacheTTL
	}
	if a.now == nil {
		a.now = time.Now
	}
	size := cfg.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	if size > 0 {
		a.perShard = max(1, size/shards)
		for i := range a.shards {
			a.shards[i].entries = make(map[[sha256.Size]byte]entry)
		}
	}
	return a, nil
}

var errMissingToken = apperr.Unauthorized(ReasonMissingToken, "a bearer token is required")

// BearerToken extracts the token from the Authorization header values.
func BearerToken(values []string) (string, error) {
	switch len(values) {
	case 0:
		return "", errMissingToken
	case 1:
	default:
		return "", apperr.Unauthorized(auth.ReasonInvalidToken, "send exactly one Authorization header")
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", errMissingToken
	}
	return token, nil
}

// IsMissingToken reports whether err means no bearer token was sent (RFC
// 6750 then wants a challenge without an error code).
func IsMissingToken(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Reason == ReasonMissingToken
}

// Authenticate verifies the bearer token in the Authorization header values.
// Errors are apperr values: Unauthorized (missing, invalid or expired token,
// ended session) or Unavailable (signing keys or session revocations cannot
// be had).
func (a *Authenticator) Authenticate(ctx context.Context, authorization []string) (Identity, error) {
	token, err := BearerToken(authorization)
	if err != nil {
		return Identity{}, err
	}
	if a.perShard == 0 {
		c, err := a.verifier.VerifyAccess(ctx, token)
		if err != nil {
			return Identity{}, err
		}
		return Identity{UserID: c.Subject, OrgID: c.OrgID}, nil
	}
	// Hash the string's bytes in place: converting an ~800-byte token to a
	// []byte would allocate on every request (the compiler copies it; see
	// TestCachedTokenCostsNoAllocation). Audited for gosec: the slice is
	// only read, by Sum256, which neither keeps nor modifies its input, and
	// it does not outlive this call, so the string's immutability holds.
	sum := sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token))) // #nosec G103 -- read-only view of the token for Sum256, see above
	sh := &a.shards[sum[0]%shards]
	now := a.now()
	sh.mu.RLock()
	e, ok := sh.entries[sum]
	sh.mu.RUnlock()
	if ok && now.Before(e.expires) {
		if a.sessions != nil {
			if err := a.sessions.CheckSession(e.sid); err != nil {
				return Identity{}, err
			}
		}
		return e.id, nil
	}
	c, err := a.verifier.VerifyAccess(ctx, token)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{UserID: c.Subject, OrgID: c.OrgID}
	expires := now.Add(a.ttl)
	if c.ExpiresAt != nil && c.ExpiresAt.Before(expires) {
		expires = c.ExpiresAt.Time
	}
	sh.put(sum, entry{id: id, sid: c.SessionID, expires: expires}, a.perShard, now)
	return id, nil
}

func (s *cacheShard) put(key [sha256.Size]byte, e entry, limit int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) >= limit {
		for k, old := range s.entries {
			if !now.Before(old.expires) {
				delete(s.entries, k)
			}
		}
		// Still full: drop arbitrary entries (map order is unspecified); a
		// dropped token is simply verified again next time.
		for k := range s.entries {
			if len(s.entries) < limit {
				break
			}
			delete(s.entries, k)
		}
	}
	s.entries[key] = e
}

// Len returns the number of cached verifications (for tests and metrics).
func (a *Authenticator) Len() int {
	n := 0
	for i := range a.shards {
		a.shards[i].mu.RLock()
		n += len(a.shards[i].entries)
		a.shards[i].mu.RUnlock()
	}
	return n
}
