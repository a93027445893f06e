package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
)

// Key size bounds. The upper bound keeps a hostile JWKS from making every
// signature check expensive.
const (
	MinRSAKeyBits = 2048
	maxRSAKeyBits = 8192
)

// JWK is one RSA public key in RFC 7517/7518 form; N and E are base64url
// without padding.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// JWKS is a JSON Web Key Set document, as served at /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// NewJWK describes pub as an RS256 signing key named kid.
func NewJWK(pub *rsa.PublicKey, kid string) JWK {
	return JWK{Kty: "RSA", Kid: kid, Use: "sig", Alg: "RS256", N: encodeN(pub), E: encodeE(pub)}
}

// Thumbprint returns the RFC 7638 JWK thumbprint of pub (base64url SHA-256 of
// the canonical {"e","kty","n"} JSON). It is the default kid: it is derived
// from the key alone, so every process that loads the key names it the same.
func Thumbprint(pub *rsa.PublicKey) string {
	// Base64url never needs JSON escaping, so the canonical form can be built
	// directly; the member order is the one RFC 7638 prescribes.
	canonical := `{"e":"` + encodeE(pub) + `","kty":"RSA","n":"` + encodeN(pub) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func encodeN(pub *rsa.PublicKey) string { return base64.RawURLEncoding.EncodeToString(pub.N.Bytes()) }

func encodeE(pub *rsa.PublicKey) string {
	return base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
}

// usableForRS256 reports whether the JWK is meant for RS256 signatures: RSA,
// alg RS256 or unspecified, use sig or unspecified. Other keys in a shared
// document (encryption keys, EC keys) are not ours to use.
func (k JWK) usableForRS256() bool {
	return k.Kty == "RSA" && (k.Alg == "" || k.Alg == "RS256") && (k.Use == "" || k.Use == "sig")
}

// PublicKey decodes the JWK into an RSA public key, refusing keys outside
// [MinRSAKeyBits, 8192] bits and implausible exponents.
func (k JWK) PublicKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" {
		return nil, fmt.Errorf("jwk %q: kty %q is not RSA", k.Kid, k.Kty)
	}
	nb, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, fmt.Errorf("jwk %q: n is not base64url: %w", k.Kid, err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, fmt.Errorf("jwk %q: e is not base64url: %w", k.Kid, err)
	}
	if len(eb) == 0 || len(eb) > 4 {
		return nil, fmt.Errorf("jwk %q: e has %d bytes", k.Kid, len(eb))
	}
	e := new(big.Int).SetBytes(eb).Int64()
	if e < 3 || e%2 == 0 || e > 1<<31-1 {
		return nil, fmt.Errorf("jwk %q: exponent %d is not usable", k.Kid, e)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: int(e)}
	if err := checkKeySize(pub); err != nil {
		return nil, fmt.Errorf("jwk %q: %w", k.Kid, err)
	}
	if pub.N.Bit(0) == 0 {
		return nil, fmt.Errorf("jwk %q: modulus is even", k.Kid)
	}
	return pub, nil
}

func checkKeySize(pub *rsa.PublicKey) error {
	if pub == nil || pub.N == nil {
		return errors.New("no RSA key")
	}
	if bits := pub.N.BitLen(); bits < MinRSAKeyBits || bits > maxRSAKeyBits {
		return fmt.Errorf("RSA key has %d bits, want %d to %d", bits, MinRSAKeyBits, maxRSAKeyBits)
	}
	return nil
}

// ParseJWKS decodes a JWKS document into its RS256 verification keys by kid.
// Keys meant for something else (see JWK fields Kty, Alg, Use) and keys
// without a kid are skipped, since a token can only name a key by kid. A
// malformed RS256 key, a repeated kid or a document with no usable key is an
// error: the publisher is broken and the previous key set should stay in use.
func ParseJWKS(data []byte) (map[string]*rsa.PublicKey, error) {
	var doc JWKS
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(doc.Keys))
	for _, k := range doc.Keys {
		if !k.usableForRS256() || k.Kid == "" {
			continue
		}
		if _, dup := keys[k.Kid]; dup {
			return nil, fmt.Errorf("jwks: kid %q appears twice", k.Kid)
		}
		pub, err := k.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks: no RS256 signing key")
	}
	return keys, nil
}

// ParseRSAPrivateKeyPEM decodes a PEM "PRIVATE KEY" (PKCS#8) block, or a
// legacy "RSA PRIVATE KEY" (PKCS#1) block, holding an RSA key of at least
// MinRSAKeyBits bits.
func ParseRSAPrivateKeyPEM(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("rsa key: no PEM block found")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("rsa key: %w", err)
		}
		k, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("rsa key: PKCS#8 block holds a %T, not an RSA key", parsed)
		}
		key = k
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("rsa key: %w", err)
		}
		key = k
	default:
		return nil, fmt.Errorf("rsa key: unexpected PEM block %q", block.Type)
	}
	if err := checkKeySize(&key.PublicKey); err != nil {
		return nil, fmt.Errorf("rsa key: %w", err)
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("rsa key: %w", err)
	}
	return key, nil
}

// MarshalRSAPrivateKeyPEM encodes key as a PEM PKCS#8 "PRIVATE KEY" block.
func MarshalRSAPrivateKeyPEM(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("rsa key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// LoadOrCreateRSAKey reads the PEM private key at path, or, when the file does
// not exist, generates a 2048-bit key and stores it there (PKCS#8, mode 0600,
// parent directories 0700). It is meant for mock mode and the local stack;
// production mounts its key. Concurrent callers agree on one key: the file
// appears atomically and a loser of the race reads the winner's key.
func LoadOrCreateRSAKey(path string) (*rsa.PrivateKey, error) {
	key, err := readRSAKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key, err = rsa.GenerateKey(rand.Reader, MinRSAKeyBits)
	if err != nil {
		return nil, fmt.Errorf("rsa key: generate: %w", err)
	}
	data, err := MarshalRSAPrivateKeyPEM(key)
	if err != nil {
		return nil, err
	}
	if err := writeNewFile(path, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readRSAKey(path)
		}
		return nil, fmt.Errorf("rsa key: store %s: %w", path, err)
	}
	return key, nil
}

func readRSAKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- the key path the operator configured
	if err != nil {
		return nil, err
	}
	key, err := ParseRSAPrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// writeNewFile writes data to a private temporary file and links it into
// place, so path is never seen half-written and an existing file is never
// replaced (fs.ErrExist instead).
func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".key-*.tmp") // CreateTemp uses mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// On a failed write or sync the temporary file is removed (deferred);
	// its close error adds nothing to the one returned.
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
