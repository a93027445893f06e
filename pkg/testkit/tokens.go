package testkit

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"reos.dev/pkg/auth"
)

// Issuer and Audience are the claims test tokens carry (the dev defaults).
const (
	Issuer   = "reos-identity"
	Audience = "reos-api"
)

// signingKey is generated once per test binary: RSA key generation is the
// slowest step of a test's setup and the key is not what tests vary.
var signingKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// Tokens mints RS256 access tokens the way identity does, for services
// tested without identity running.
type Tokens struct {
	Key    *rsa.PrivateKey
	Signer *auth.Signer
}

// NewTokens returns a minter with the test binary's signing key.
func NewTokens(t testing.TB) *Tokens {
	t.Helper()
	key, err := signingKey()
	if err != nil {
		t.Fatalf("testkit: generate RSA key: %v", err)
	}
	signer, err := auth.NewSigner(key, "")
	if err != nil {
		t.Fatal(err)
	}
	return &Tokens{Key: key, Signer: signer}
}

// Verifier verifies what this minter signs, as a service's auth middleware does.
func (k *Tokens) Verifier() *auth.Verifier {
	return auth.NewStaticVerifier(map[string]*rsa.PublicKey{k.Signer.KeyID(): &k.Key.PublicKey}, Issuer, Audience)
}

// Access mints a 15-minute access token for user in org with perms, in a
// session of its own (a fresh sid), as identity's login does.
func (k *Tokens) Access(t testing.TB, userID, orgID string, perms ...string) string {
	t.Helper()
	return k.AccessInSession(t, uuid.NewString(), userID, orgID, perms...)
}

// AccessInSession is Access with the session id (sid) given, for tests
// that end the session.
func (k *Tokens) AccessInSession(t testing.TB, sid, userID, orgID string, perms ...string) string {
	t.Helper()
	now := time.Now()
	tok, err := k.Signer.Sign(auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Audience: jwt.ClaimStrings{Audience}, Subject: userID, ID: uuid.NewString(),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(15 * time.Minute)),
		},
		OrgID: orgID, Perms: perms, TokenUse: auth.TokenUseAccess, SessionID: sid,
	})
	if err != nil {
		t.Fatalf("testkit: sign token: %v", err)
	}
	return tok
}
