package auth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"reos.dev/pkg/apperr"
)

// Verification failure reasons, as apperr reasons (and problem type suffixes).
const (
	ReasonInvalidToken    = "invalid_token"
	ReasonTokenExpired    = "token_expired"
	ReasonAuthUnavailable = "auth_unavailable"
	// ReasonSessionRevoked: the token's session was ended (logout, password
	// change or reset, role change, user deletion) before the token expired.
	ReasonSessionRevoked = "session_revoked"
)

const (
	// leeway absorbs clock skew between identity and the verifying service.
	leeway = 30 * time.Second
	// defaultMinRefresh bounds how often a remote verifier refetches the JWKS.
	defaultMinRefresh = time.Minute
)

var (
	// errUnknownKey: the token names a key that is not (or no longer) published.
	errUnknownKey = errors.New("no published key has this kid")
	// errKeysUnavailable: no key set could be obtained at all; the token may be
	// fine, so this is a 503 rather than a 401.
	errKeysUnavailable = errors.New("signing keys unavailable")
)

// VerifierConfig configures a Verifier that reads keys from a JWKS URL.
type VerifierConfig struct {
	// JWKSURL is identity's key document, e.g. http://identity:8101/.well-known/jwks.json.
	JWKSURL string
	// Issuer and Audience must equal the token's iss and (one of its) aud.
	Issuer   string
	Audience string
	// HTTPClient fetches the JWKS; nil means a client with a 5 s timeout.
	HTTPClient *http.Client
	// MinRefresh is the shortest interval between two fetches of the JWKS,
	// however many unknown kids arrive; 0 means 1 minute.
	MinRefresh time.Duration
}

// keySource finds the verification key a token names.
type keySource interface {
	key(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// Verifier checks platform tokens; see the package documentation for the
// rules. It is safe for concurrent use.
type Verifier struct {
	parser *jwt.Parser
	keys   keySource
	// now is the clock for claim checks and cache expiry; tests replace it.
	now func() time.Time
	// revocations, when set, refuses access tokens of ended sessions and
	// those that name no session.
	revocations RevocationChecker
	// err is a configuration problem. The verifier then fails closed: every
	// token is refused and Ready reports err.
	err error
}

// VerifierOption adjusts a Verifier at construction.
type VerifierOption func(*Verifier)

// WithRevocations makes the verifier refuse an access token whose sid the
// checker lists as ended (401 session_revoked) or that carries no sid (401
// invalid_token), and answer 503 while the checker cannot tell. Every
// binary's verifier has one (pkg/service, the gateway, identity); a nil
// checker is a wiring bug and makes the verifier fail closed. Refresh
// tokens are not checked here: identity checks them against its database.
func WithRevocations(c RevocationChecker) VerifierOption {
	return func(v *Verifier) {
		if c == nil {
			v.err = errors.Join(v.err, errors.New("auth: WithRevocations: nil checker"))
			return
		}
		v.revocations = c
	}
}

// NewVerifier returns a verifier that fetches its keys from cfg.JWKSURL on
// first use and caches them (see the package documentation for refreshes). A
// bad configuration (missing or non-http URL, empty issuer or audience) does
// not panic: the verifier refuses every token with a 503 and Ready returns the
// problem, which a readiness check should surface.
func NewVerifier(cfg VerifierConfig, opts ...VerifierOption) *Verifier {
	v := newVerifier(cfg.Issuer, cfg.Audience, opts)
	u, err := url.Parse(cfg.JWKSURL)
	switch {
	case cfg.JWKSURL == "":
		v.err = errors.Join(v.err, errors.New("auth: JWKS URL is empty"))
	case err != nil:
		v.err = errors.Join(v.err, fmt.Errorf("auth: JWKS URL: %w", err))
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.err = errors.Join(v.err, fmt.Errorf("auth: JWKS URL %q is not an absolute http(s) URL", cfg.JWKSURL))
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	minRefresh := cfg.MinRefresh
	if minRefresh <= 0 {
		minRefresh = defaultMinRefresh
	}
	v.keys = newRemoteKeys(cfg.JWKSURL, client, minRefresh, func() time.Time { return v.now() })
	return v
}

// NewStaticVerifier returns a verifier over a fixed set of keys by kid, for
// identity itself (KeySet.PublicKeys) and for tests. An empty map or a key
// smaller than MinRSAKeyBits makes it fail closed, like NewVerifier.
func NewStaticVerifier(keys map[string]*rsa.PublicKey, issuer, audience string, opts ...VerifierOption) *Verifier {
	v := newVerifier(issuer, audience, opts)
	if len(keys) == 0 {
		v.err = errors.Join(v.err, errors.New("auth: no verification keys"))
	}
	for kid, k := range keys {
		if err := checkKeySize(k); err != nil {
			v.err = errors.Join(v.err, fmt.Errorf("auth: key %q: %w", kid, err))
		}
	}
	v.keys = staticKeys(maps.Clone(keys))
	return v
}

func newVerifier(issuer, audience string, opts []VerifierOption) *Verifier {
	v := &Verifier{now: time.Now}
	for _, o := range opts {
		o(v)
	}
	// An empty issuer or audience would make jwt skip that check entirely.
	if issuer == "" {
		v.err = errors.Join(v.err, errors.New("auth: issuer is empty"))
	}
	if audience == "" {
		v.err = errors.Join(v.err, errors.New("auth: audience is empty"))
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v
}

// VerifyAccess checks an access token and returns its claims. Errors are
// apperr values: Unauthorized with reason invalid_token or token_expired, or
// Unavailable (auth_unavailable) when no signing keys could be obtained. The
// message never says what exactly was wrong; the wrapped cause does, for logs.
func (v *Verifier) VerifyAccess(ctx context.Context, token string) (*Claims, error) {
	return v.verify(ctx, token, TokenUseAccess)
}

// VerifyRefresh checks a refresh token, with the same rules and errors as
// VerifyAccess.
func (v *Verifier) VerifyRefresh(ctx context.Context, token string) (*Claims, error) {
	return v.verify(ctx, token, TokenUseRefresh)
}

// Ready reports whether the verifier can check tokens: its configuration is
// sound and, for a remote verifier, a key set has been loaded (fetching it now
// if none has been yet). It suits a readiness check.
func (v *Verifier) Ready(ctx context.Context) error {
	if v.err != nil {
		return v.err
	}
	if r, ok := v.keys.(*remoteKeys); ok {
		return r.ready(ctx)
	}
	return nil
}

func (v *Verifier) verify(ctx context.Context, raw, use string) (*Claims, error) {
	if v.err != nil {
		return nil, apperr.Wrap(v.err, apperr.KindUnavailable, ReasonAuthUnavailable, "token verification is misconfigured")
	}
	if raw == "" || len(raw) > MaxTokenLength {
		return nil, invalidToken(fmt.Errorf("token length %d is outside 1..%d", len(raw), MaxTokenLength))
	}
	claims := &Claims{}
	_, err := v.parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			// A token without kid cannot name a key; refetching would not help.
			return nil, errors.New("token header has no kid")
		}
		return v.keys.key(ctx, kid)
	})
	switch {
	case err == nil:
	case errors.Is(err, errKeysUnavailable):
		return nil, apperr.Wrap(err, apperr.KindUnavailable, ReasonAuthUnavailable, "token signing keys are temporarily unavailable")
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, apperr.Wrap(err, apperr.KindUnauthorized, ReasonTokenExpired, "the token has expired")
	default:
		return nil, invalidToken(err)
	}
	if claims.TokenUse != use {
		return nil, invalidToken(fmt.Errorf("token_use is %q, want %q", claims.TokenUse, use))
	}
	if claims.Subject == "" {
		return nil, invalidToken(errors.New("token has no sub"))
	}
	if use == TokenUseAccess {
		if err := v.CheckSession(claims.SessionID); err != nil {
			return nil, err
		}
	}
	return claims, nil
}

// CheckSession applies the revocation check of VerifyAccess to a session
// id alone (nil for a verifier without revocations). A cache of verified
// tokens (the gateway's) calls it on every hit, so a session ended after
// its token was cached is refused at once.
func (v *Verifier) CheckSession(sid string) error {
	if v.revocations == nil {
		return nil
	}
	if sid == "" {
		return invalidToken(errors.New("token has no sid"))
	}
	revoked, err := v.revocations.Revoked(sid)
	switch {
	case err != nil:
		return apperr.Wrap(err, apperr.KindUnavailable, ReasonAuthUnavailable, "session revocations are temporarily unavailable")
	case revoked:
		return apperr.Wrap(errors.New("session "+sid+" was revoked"), apperr.KindUnauthorized, ReasonSessionRevoked, "the session has ended; sign in again")
	}
	return nil
}

func invalidToken(cause error) error {
	return apperr.Wrap(cause, apperr.KindUnauthorized, ReasonInvalidToken, "the token is invalid")
}

// staticKeys is a fixed key set; an unknown kid is simply unknown.
type staticKeys map[string]*rsa.PublicKey

func (s staticKeys) key(_ context.Context, kid string) (*rsa.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, errUnknownKey
}
