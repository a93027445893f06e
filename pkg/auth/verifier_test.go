package auth

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"reos.dev/pkg/apperr"
)

func TestVerifyAccess(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	kid := signer.KeyID()
	v := NewStaticVerifier(map[string]*rsa.PublicKey{kid: signer.PublicKey()}, testIssuer, testAudience)

	pubDER, err := x509.MarshalPKIXPublicKey(signer.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	pubPKCS1 := x509.MarshalPKCS1PublicKey(signer.PublicKey())

	with := func(mutate func(*Claims)) string {
		c := validClaims(TokenUseAccess)
		mutate(&c)
		return mustSign(t, signer, c)
	}
	payload := claimsMap(t, validClaims(TokenUseAccess))
	rsHeader := map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}
	without := func(claim string) string {
		m := claimsMap(t, validClaims(TokenUseAccess))
		delete(m, claim)
		return rawRS256(t, testKey(t, 0), rsHeader, m)
	}
	hs := func(secret []byte) string {
		return rawHS256(t, secret, map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}, payload)
	}
	valid := mustSign(t, signer, validClaims(TokenUseAccess))
	parts := strings.Split(valid, ".")

	tests := []struct {
		name       string
		token      string
		wantReason string // "" means accepted
	}{
		{name: "valid access token", token: valid},
		{name: "expired within the leeway", token: with(func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-10 * time.Second)) })},
		{name: "audience list containing ours", token: with(func(c *Claims) { c.Audience = jwt.ClaimStrings{"other", testAudience} })},

		{name: "alg none", token: segment(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." + segment(t, payload) + ".", wantReason: ReasonInvalidToken},
		{name: "alg None with signature kept", token: segment(t, map[string]any{"alg": "None", "kid": kid}) + "." + segment(t, payload) + "." + parts[2], wantReason: ReasonInvalidToken},
		{name: "HS256 keyed with public key PEM", token: hs(pubPEM), wantReason: ReasonInvalidToken},
		{name: "HS256 keyed with public key DER", token: hs(pubDER), wantReason: ReasonInvalidToken},
		{name: "HS256 keyed with PKCS1 public key", token: hs(pubPKCS1), wantReason: ReasonInvalidToken},
		{name: "PS256 with the right key", token: func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodPS256, validClaims(TokenUseAccess))
			tok.Header["kid"] = kid
			s, err := tok.SignedString(testKey(t, 0))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}(), wantReason: ReasonInvalidToken},
		{name: "wrong audience", token: with(func(c *Claims) { c.Audience = jwt.ClaimStrings{"someone-else"} }), wantReason: ReasonInvalidToken},
		{name: "no audience", token: without("aud"), wantReason: ReasonInvalidToken},
		{name: "wrong issuer", token: with(func(c *Claims) { c.Issuer = "evil-identity" }), wantReason: ReasonInvalidToken},
		{name: "no issuer", token: without("iss"), wantReason: ReasonInvalidToken},
		{name: "expired", token: with(func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute)) }), wantReason: ReasonTokenExpired},
		{name: "missing exp", token: without("exp"), wantReason: ReasonInvalidToken},
		{name: "issued in the future", token: with(func(c *Claims) { c.IssuedAt = jwt.NewNumericDate(time.Now().Add(10 * time.Minute)) }), wantReason: ReasonInvalidToken},
		{name: "not valid yet", token: with(func(c *Claims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(10 * time.Minute)) }), wantReason: ReasonInvalidToken},
		{name: "missing sub", token: with(func(c *Claims) { c.Subject = "" }), wantReason: ReasonInvalidToken},
		{name: "refresh token", token: mustSign(t, signer, validClaims(TokenUseRefresh)), wantReason: ReasonInvalidToken},
		{name: "no token_use", token: without("token_use"), wantReason: ReasonInvalidToken},
		{name: "unknown kid", token: rawRS256(t, testKey(t, 0), map[string]any{"alg": "RS256", "kid": "not-a-key"}, payload), wantReason: ReasonInvalidToken},
		{name: "no kid", token: rawRS256(t, testKey(t, 0), map[string]any{"alg": "RS256"}, payload), wantReason: ReasonInvalidToken},
		{name: "non-string kid", token: rawRS256(t, testKey(t, 0), map[string]any{"alg": "RS256", "kid": 7}, payload), wantReason: ReasonInvalidToken},
		{name: "tampered payload", token: func() string {
			m := claimsMap(t, validClaims(TokenUseAccess))
			m["perms"] = []string{"*"}
			return parts[0] + "." + segment(t, m) + "." + parts[2]
		}(), wantReason: ReasonInvalidToken},
		{name: "signature of another token", token: parts[0] + "." + parts[1] + "." + strings.Split(mustSign(t, signer, validClaims(TokenUseRefresh)), ".")[2], wantReason: ReasonInvalidToken},
		{name: "other key with the same kid", token: mustSign(t, mustSigner(t, testKey(t, 1), kid), validClaims(TokenUseAccess)), wantReason: ReasonInvalidToken},
		{name: "empty signature", token: parts[0] + "." + parts[1] + ".", wantReason: ReasonInvalidToken},
		{name: "empty", token: "", wantReason: ReasonInvalidToken},
		{name: "garbage", token: "not.a.jwt", wantReason: ReasonInvalidToken},
		{name: "two segments", token: parts[0] + "." + parts[1], wantReason: ReasonInvalidToken},
		{name: "four segments", token: valid + ".x", wantReason: ReasonInvalidToken},
		{name: "padded base64", token: parts[0] + "==." + parts[1] + "." + parts[2], wantReason: ReasonInvalidToken},
		{name: "oversized but well signed", token: func() string {
			m := claimsMap(t, validClaims(TokenUseAccess))
			m["perms"] = []string{strings.Repeat("p", MaxTokenLength)}
			return rawRS256(t, testKey(t, 0), rsHeader, m)
		}(), wantReason: ReasonInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			claims, err := v.VerifyAccess(context.Background(), tt.token)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("VerifyAccess: %v", err)
				}
				if claims.Subject == "" || claims.OrgID == "" || claims.TokenUse != TokenUseAccess {
					t.Fatalf("claims not decoded: %+v", claims)
				}
				return
			}
			if err == nil {
				t.Fatalf("VerifyAccess accepted the token: %+v", claims)
			}
			if claims != nil {
				t.Errorf("claims returned with an error: %+v", claims)
			}
			if !errors.Is(err, apperr.ErrUnauthorized) {
				t.Fatalf("error %v is not Unauthorized", err)
			}
			e, _ := apperr.As(err)
			if e.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q (cause %v)", e.Reason, tt.wantReason, err)
			}
			if strings.Contains(e.Message, "kid") || strings.Contains(e.Message, "signature") {
				t.Errorf("message %q leaks the cause", e.Message)
			}
		})
	}
}

func mustSigner(t testing.TB, key *rsa.PrivateKey, kid string) *Signer {
	t.Helper()
	s, err := NewSigner(key, kid)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRefresh(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	v := NewStaticVerifier(map[string]*rsa.PublicKey{signer.KeyID(): signer.PublicKey()}, testIssuer, testAudience)
	tests := []struct {
		name   string
		use    string
		accept bool
	}{
		{"refresh token", TokenUseRefresh, true},
		{"access token", TokenUseAccess, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.VerifyRefresh(context.Background(), mustSign(t, signer, validClaims(tt.use)))
			if tt.accept != (err == nil) {
				t.Fatalf("VerifyRefresh(%s) error = %v, want accepted %v", tt.use, err, tt.accept)
			}
			if err != nil && !errors.Is(err, apperr.ErrUnauthorized) {
				t.Fatalf("error %v is not Unauthorized", err)
			}
		})
	}
}

func TestVerifierMisconfiguredFailsClosed(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	keys := map[string]*rsa.PublicKey{signer.KeyID(): signer.PublicKey()}
	small, err := rsa.GenerateKey(randReader(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    *Verifier
	}{
		{"static without issuer", NewStaticVerifier(keys, "", testAudience)},
		{"static without audience", NewStaticVerifier(keys, testIssuer, "")},
		{"static without keys", NewStaticVerifier(nil, testIssuer, testAudience)},
		{"static with a small key", NewStaticVerifier(map[string]*rsa.PublicKey{"small": &small.PublicKey}, testIssuer, testAudience)},
		{"remote without URL", NewVerifier(VerifierConfig{Issuer: testIssuer, Audience: testAudience})},
		{"remote with relative URL", NewVerifier(VerifierConfig{JWKSURL: "/jwks.json", Issuer: testIssuer, Audience: testAudience})},
		{"remote with file URL", NewVerifier(VerifierConfig{JWKSURL: "file:///etc/jwks.json", Issuer: testIssuer, Audience: testAudience})},
		{"remote without issuer", NewVerifier(VerifierConfig{JWKSURL: "http://127.0.0.1:1/jwks.json", Audience: testAudience})},
	}
	token := mustSign(t, signer, validClaims(TokenUseAccess))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.v.Ready(context.Background()); err == nil {
				t.Error("Ready() = nil, want the configuration error")
			}
			_, err := tt.v.VerifyAccess(context.Background(), token)
			if !errors.Is(err, apperr.ErrUnavailable) {
				t.Fatalf("VerifyAccess error = %v, want Unavailable", err)
			}
		})
	}
}

func TestVerifierUsesKeySetForRotation(t *testing.T) {
	t.Parallel()
	oldSigner, newSigner := testSigner(t, 0), testSigner(t, 1)
	ks, err := NewKeySet(newSigner, oldSigner.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	v := NewStaticVerifier(ks.PublicKeys(), testIssuer, testAudience)
	for name, s := range map[string]*Signer{"old": oldSigner, "new": newSigner} {
		if _, err := v.VerifyAccess(context.Background(), mustSign(t, s, validClaims(TokenUseAccess))); err != nil {
			t.Errorf("%s key: %v", name, err)
		}
	}
	if _, err := v.VerifyAccess(context.Background(), mustSign(t, testSigner(t, 2), validClaims(TokenUseAccess))); err == nil {
		t.Error("token from an unpublished key accepted")
	}
}

func TestPaddedSignatureEncodingRejected(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	v := NewStaticVerifier(map[string]*rsa.PublicKey{signer.KeyID(): signer.PublicKey()}, testIssuer, testAudience)
	parts := strings.Split(mustSign(t, signer, validClaims(TokenUseAccess)), ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	std := base64.StdEncoding.EncodeToString(sig) // "+/" alphabet with padding
	if _, err := v.VerifyAccess(context.Background(), parts[0]+"."+parts[1]+"."+std); err == nil && std != parts[2] {
		t.Error("standard base64 signature accepted")
	}
}
