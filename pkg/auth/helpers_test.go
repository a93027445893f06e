package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "reos-identity"
	testAudience = "reos-api"
)

// RSA key generation takes tens of milliseconds; the whole test binary shares
// a few keys.
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 3)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

func testKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	return testKeys()[i]
}

func testSigner(t testing.TB, i int) *Signer {
	t.Helper()
	s, err := NewSigner(testKey(t, i), "")
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

// validClaims returns claims every verifier in these tests accepts.
func validClaims(use string) Claims { return validClaimsAt(time.Now(), use) }

// validClaimsAt is validClaims issued at now.
func validClaimsAt(now time.Time, use string) Claims {
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    testIssuer,
			Audience:  jwt.ClaimStrings{testAudience},
			Subject:   "0190f5a8-0000-7000-8000-000000000001",
			ID:        "jti-1",
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(15 * time.Minute)),
		},
		OrgID:    "0190f5a8-0000-7000-8000-0000000000aa",
		Roles:    []string{"agent"},
		Perms:    []string{"properties:read", "leads:*"},
		TokenUse: use,
		Email:    "agent@demo.reos.test",
	}
}

func mustSign(t testing.TB, s *Signer, c Claims) string {
	t.Helper()
	tok, err := s.Sign(c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

// rawRS256 signs arbitrary header and payload maps with key, bypassing the
// Signer's checks, to build tokens the Signer would refuse to make.
func rawRS256(t testing.TB, key *rsa.PrivateKey, header, payload map[string]any) string {
	t.Helper()
	signingInput := segment(t, header) + "." + segment(t, payload)
	sig, err := jwt.SigningMethodRS256.Sign(signingInput, key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// rawHS256 builds an HMAC-SHA256 token by hand with secret as the key.
func rawHS256(t testing.TB, secret []byte, header, payload map[string]any) string {
	t.Helper()
	signingInput := segment(t, header) + "." + segment(t, payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func segment(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// claimsMap turns claims into a map so tests can drop or alter single members.
func claimsMap(t testing.TB, c Claims) map[string]any {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return m
}

// fixedClock is a settable clock for cache-expiry tests.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fixedClock { return &fixedClock{t: time.Now()} }

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func randReader() io.Reader { return rand.Reader }
