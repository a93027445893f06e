package auth

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"maps"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenLength bounds the size of a token, in bytes. Verifiers reject
// longer input before decoding it; Sign refuses to produce it.
const MaxTokenLength = 8 << 10

// Signer signs tokens with one RSA private key under one kid.
type Signer struct {
	key *rsa.PrivateKey
	kid string
}

// NewSigner returns a signer for key (at least MinRSAKeyBits bits). An empty
// kid means Thumbprint(&key.PublicKey), which is how KeySet names the other
// keys it publishes.
func NewSigner(key *rsa.PrivateKey, kid string) (*Signer, error) {
	if key == nil {
		return nil, errors.New("auth: NewSigner: nil key")
	}
	if err := checkKeySize(&key.PublicKey); err != nil {
		return nil, fmt.Errorf("auth: NewSigner: %w", err)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("auth: NewSigner: %w", err)
	}
	if kid == "" {
		kid = Thumbprint(&key.PublicKey)
	}
	return &Signer{key: key, kid: kid}, nil
}

// KeyID returns the kid written into every token header.
func (s *Signer) KeyID() string { return s.kid }

// PublicKey returns the key that verifies this signer's tokens.
func (s *Signer) PublicKey() *rsa.PublicKey { return &s.key.PublicKey }

// Sign returns the compact RS256 JWT for c with the signer's kid in the
// header. It fills no claim: the caller sets iss, aud, exp, iat, jti, sub. It
// refuses claims that no Verifier would accept (no exp, a token_use other than
// access or refresh, a result over MaxTokenLength), so such a bug shows at the
// issuer rather than as 401s everywhere else.
func (s *Signer) Sign(c Claims) (string, error) {
	if c.ExpiresAt == nil {
		return "", errors.New("auth: Sign: exp is required")
	}
	if c.TokenUse != TokenUseAccess && c.TokenUse != TokenUseRefresh {
		return "", fmt.Errorf("auth: Sign: token_use %q is neither %q nor %q", c.TokenUse, TokenUseAccess, TokenUseRefresh)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = s.kid
	signed, err := tok.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("auth: Sign: %w", err)
	}
	if len(signed) > MaxTokenLength {
		return "", fmt.Errorf("auth: Sign: token is %d bytes, over the %d byte limit", len(signed), MaxTokenLength)
	}
	return signed, nil
}

// JWKS returns the document that publishes this signer's public key alone.
func (s *Signer) JWKS() JWKS {
	return JWKS{Keys: []JWK{NewJWK(s.PublicKey(), s.kid)}}
}

// KeySet is what identity serves during key rotation: the active signer,
// which signs every new token, and other published public keys: the next key,
// published ahead of use, and retired keys, which still verify the tokens they
// issued until those expire.
//
// Rotation, step by step: publish the new key as an other key; after at least
// the verifiers' MinRefresh (default 1 min), make it the active signer and
// pass the old one as an other key; drop the old key once the longest-lived
// token it signed (the refresh token) has expired.
type KeySet struct {
	active *Signer
	jwks   JWKS
	keys   map[string]*rsa.PublicKey
}

// NewKeySet builds the key set from the active signer and the other keys to
// publish. Other keys are published under their Thumbprint; a key equal to the
// active one, or repeated, is published once.
func NewKeySet(active *Signer, others ...*rsa.PublicKey) (*KeySet, error) {
	if active == nil {
		return nil, errors.New("auth: NewKeySet: nil active signer")
	}
	ks := &KeySet{
		active: active,
		jwks:   active.JWKS(),
		keys:   map[string]*rsa.PublicKey{active.kid: active.PublicKey()},
	}
	for i, pub := range others {
		if err := checkKeySize(pub); err != nil {
			return nil, fmt.Errorf("auth: NewKeySet: other key %d: %w", i, err)
		}
		if pub.Equal(active.PublicKey()) {
			continue
		}
		kid := Thumbprint(pub)
		if have, ok := ks.keys[kid]; ok {
			if have.Equal(pub) {
				continue
			}
			return nil, fmt.Errorf("auth: NewKeySet: other key %d: kid %q is already taken by the active key", i, kid)
		}
		ks.keys[kid] = pub
		ks.jwks.Keys = append(ks.jwks.Keys, NewJWK(pub, kid))
	}
	return ks, nil
}

// Signer returns the active signer.
func (ks *KeySet) Signer() *Signer { return ks.active }

// JWKS returns the published document: the active key first, then the
// other keys in the order given.
func (ks *KeySet) JWKS() JWKS {
	return JWKS{Keys: append([]JWK(nil), ks.jwks.Keys...)}
}

// PublicKeys returns every published key by kid, for NewStaticVerifier.
func (ks *KeySet) PublicKeys() map[string]*rsa.PublicKey {
	return maps.Clone(ks.keys)
}
