package auth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestNewSigner(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(randReader(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		key     *rsa.PrivateKey
		kid     string
		wantKid string // "" means an error is expected
	}{
		{"default kid is the thumbprint", testKey(t, 0), "", Thumbprint(&testKey(t, 0).PublicKey)},
		{"explicit kid", testKey(t, 0), "2026-01", "2026-01"},
		{"nil key", nil, "k", ""},
		{"1024-bit key", small, "k", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSigner(tt.key, tt.kid)
			if tt.wantKid == "" {
				if err == nil {
					t.Fatal("NewSigner accepted the key")
				}
				return
			}
			if err != nil {
				t.Fatalf("NewSigner: %v", err)
			}
			if s.KeyID() != tt.wantKid {
				t.Fatalf("KeyID = %q, want %q", s.KeyID(), tt.wantKid)
			}
		})
	}
}

func TestSign(t *testing.T) {
	t.Parallel()
	s := testSigner(t, 0)
	tests := []struct {
		name   string
		mutate func(*Claims)
		ok     bool
	}{
		{"access", func(*Claims) {}, true},
		{"refresh", func(c *Claims) { c.TokenUse = TokenUseRefresh }, true},
		{"no exp", func(c *Claims) { c.ExpiresAt = nil }, false},
		{"no token_use", func(c *Claims) { c.TokenUse = "" }, false},
		{"other token_use", func(c *Claims) { c.TokenUse = "id" }, false},
		{"too large", func(c *Claims) { c.Perms = []string{strings.Repeat("x", MaxTokenLength)} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validClaims(TokenUseAccess)
			tt.mutate(&c)
			tok, err := s.Sign(c)
			if !tt.ok {
				if err == nil {
					t.Fatal("Sign accepted the claims")
				}
				return
			}
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			// The header carries exactly alg, typ and kid; the payload is what
			// the caller gave, nothing added.
			parsed, _, err := jwt.NewParser().ParseUnverified(tok, &Claims{})
			if err != nil {
				t.Fatal(err)
			}
			if parsed.Header["alg"] != "RS256" || parsed.Header["kid"] != s.KeyID() || len(parsed.Header) != 3 {
				t.Errorf("header = %v", parsed.Header)
			}
			got := parsed.Claims.(*Claims)
			want, _ := json.Marshal(c)
			have, _ := json.Marshal(got)
			if string(want) != string(have) {
				t.Errorf("payload changed:\n got %s\nwant %s", have, want)
			}
		})
	}
}

func TestSignerJWKS(t *testing.T) {
	t.Parallel()
	s := testSigner(t, 0)
	doc, err := json.Marshal(s.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseJWKS(doc)
	if err != nil {
		t.Fatalf("ParseJWKS(own JWKS): %v", err)
	}
	if len(keys) != 1 || !keys[s.KeyID()].Equal(s.PublicKey()) {
		t.Fatalf("JWKS does not publish the signer's key: %s", doc)
	}
	for _, member := range []string{`"kty":"RSA"`, `"use":"sig"`, `"alg":"RS256"`, `"e":"AQAB"`} {
		if !strings.Contains(string(doc), member) {
			t.Errorf("JWKS %s lacks %s", doc, member)
		}
	}
}

func TestNewKeySet(t *testing.T) {
	t.Parallel()
	active, prev1, prev2 := testSigner(t, 0), testSigner(t, 1), testSigner(t, 2)
	small, err := rsa.GenerateKey(randReader(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		active   *Signer
		previous []*rsa.PublicKey
		wantKids []string // nil means an error is expected
	}{
		{"active only", active, nil, []string{active.KeyID()}},
		{"active and previous, in order", active, []*rsa.PublicKey{prev2.PublicKey(), prev1.PublicKey()},
			[]string{active.KeyID(), prev2.KeyID(), prev1.KeyID()}},
		{"duplicates published once", active, []*rsa.PublicKey{prev1.PublicKey(), active.PublicKey(), prev1.PublicKey()},
			[]string{active.KeyID(), prev1.KeyID()}},
		{"active with custom kid, same key as previous", mustSigner(t, testKey(t, 0), "custom"), []*rsa.PublicKey{active.PublicKey()},
			[]string{"custom"}},
		{"kid clash with the active signer", mustSigner(t, testKey(t, 0), prev1.KeyID()), []*rsa.PublicKey{prev1.PublicKey()}, nil},
		{"nil active", nil, nil, nil},
		{"nil previous", active, []*rsa.PublicKey{nil}, nil},
		{"small previous", active, []*rsa.PublicKey{&small.PublicKey}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := NewKeySet(tt.active, tt.previous...)
			if tt.wantKids == nil {
				if err == nil {
					t.Fatal("NewKeySet accepted the keys")
				}
				return
			}
			if err != nil {
				t.Fatalf("NewKeySet: %v", err)
			}
			var kids []string
			for _, k := range ks.JWKS().Keys {
				kids = append(kids, k.Kid)
			}
			if strings.Join(kids, ",") != strings.Join(tt.wantKids, ",") {
				t.Fatalf("published kids = %v, want %v", kids, tt.wantKids)
			}
			if len(ks.PublicKeys()) != len(tt.wantKids) {
				t.Fatalf("PublicKeys has %d keys, want %d", len(ks.PublicKeys()), len(tt.wantKids))
			}
			if ks.Signer() != tt.active {
				t.Fatal("Signer() is not the active signer")
			}
			// Whatever identity publishes, a verifier reading it accepts the
			// active signer's tokens.
			doc, _ := json.Marshal(ks.JWKS())
			keys, err := ParseJWKS(doc)
			if err != nil {
				t.Fatal(err)
			}
			v := NewStaticVerifier(keys, testIssuer, testAudience)
			if _, err := v.VerifyAccess(context.Background(), mustSign(t, ks.Signer(), validClaimsAt(time.Now(), TokenUseAccess))); err != nil {
				t.Fatalf("token of the active signer rejected: %v", err)
			}
		})
	}
}
