package auth

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"reos.dev/pkg/apperr"
)

// FuzzVerifyAccess feeds arbitrary strings to a verifier. It must never panic,
// must refuse with an Unauthorized apperr, and must accept only tokens that an
// independent check confirms are RS256-signed by the verifier's key.
func FuzzVerifyAccess(f *testing.F) {
	signer := testSigner(f, 0)
	pub := signer.PublicKey()
	v := NewStaticVerifier(map[string]*rsa.PublicKey{signer.KeyID(): pub}, testIssuer, testAudience)

	valid := mustSign(f, signer, validClaims(TokenUseAccess))
	parts := strings.Split(valid, ".")
	payload := claimsMap(f, validClaims(TokenUseAccess))
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		valid,
		mustSign(f, signer, validClaims(TokenUseRefresh)),
		mustSign(f, mustSigner(f, testKey(f, 1), signer.KeyID()), validClaims(TokenUseAccess)),
		segment(f, map[string]any{"alg": "none", "kid": signer.KeyID()}) + "." + parts[1] + ".",
		rawHS256(f, pubDER, map[string]any{"alg": "HS256", "kid": signer.KeyID()}, payload),
		parts[0] + "." + segment(f, map[string]any{"sub": "x", "token_use": "access"}) + "." + parts[2],
		parts[0] + "." + parts[1] + "." + parts[2] + "A",
		parts[0] + ".." + parts[2],
		"",
		".",
		"..",
		"a.b.c",
		"eyJhbGciOiJSUzI1NiJ9.e30.",
		strings.Repeat("A", MaxTokenLength+1),
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, token string) {
		claims, err := v.VerifyAccess(context.Background(), token)
		if err != nil {
			if claims != nil {
				t.Fatal("claims returned with an error")
			}
			if !errors.Is(err, apperr.ErrUnauthorized) {
				t.Fatalf("refusal is not Unauthorized: %v", err)
			}
			return
		}
		// Accepted: confirm by hand that the key signed exactly this input.
		segs := strings.Split(token, ".")
		if len(segs) != 3 {
			t.Fatalf("accepted a token with %d segments", len(segs))
		}
		headerJSON, err := base64.RawURLEncoding.DecodeString(segs[0])
		if err != nil {
			t.Fatalf("accepted an undecodable header: %v", err)
		}
		var header struct {
			Alg string `json:"alg"`
		}
		if err := json.Unmarshal(headerJSON, &header); err != nil || header.Alg != "RS256" {
			t.Fatalf("accepted header %s", headerJSON)
		}
		sig, err := base64.RawURLEncoding.DecodeString(segs[2])
		if err != nil {
			t.Fatalf("accepted an undecodable signature: %v", err)
		}
		digest := sha256.Sum256([]byte(segs[0] + "." + segs[1]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			t.Fatalf("accepted a token the key did not sign: %q", token)
		}
		if claims.TokenUse != TokenUseAccess || claims.Issuer != testIssuer || claims.Subject == "" {
			t.Fatalf("accepted claims %+v", claims)
		}
	})
}

// FuzzParseJWKS checks that no JWKS document makes the parser panic, and that
// whatever it accepts is a usable RS256 key set.
func FuzzParseJWKS(f *testing.F) {
	good, err := json.Marshal(testSigner(f, 0).JWKS())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(good),
		`{"keys":[]}`,
		`{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[{"kty":"RSA","kid":"k","n":"","e":""}]}`,
		`{"keys":[{"kty":"RSA","kid":"k","n":"0vx7","e":"AQAAAAAAAAAB"}]}`,
		`{"keys":[{"kty":"EC","kid":"e","crv":"P-256","x":"AA","y":"AA"}]}`,
		`{"keys":null}`,
		`{"keys":[null]}`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseJWKS(data)
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatal("accepted a document without keys")
		}
		for kid, k := range keys {
			if kid == "" {
				t.Fatal("accepted a key without kid")
			}
			if err := checkKeySize(k); err != nil {
				t.Fatalf("accepted key %q: %v", kid, err)
			}
			if k.E < 3 || k.E%2 == 0 {
				t.Fatalf("accepted exponent %d", k.E)
			}
			// What was accepted can be published again unchanged.
			back, err := NewJWK(k, kid).PublicKey()
			if err != nil || !back.Equal(k) {
				t.Fatalf("key %q does not round-trip: %v", kid, err)
			}
			_ = Thumbprint(k)
		}
	})
}
