package token

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"reos.dev/pkg/auth"
)

// LoadSigningKey reads the RS256 private key at path. With create (mock
// mode) a missing file is generated; otherwise (production) it must exist,
// because a key made up at start would invalidate every token on restart
// and differ between replicas.
func LoadSigningKey(path string, create bool) (*rsa.PrivateKey, error) {
	if path == "" {
		return nil, errors.New("JWT_PRIVATE_KEY_PATH: is required")
	}
	if create {
		key, err := auth.LoadOrCreateRSAKey(path)
		if err != nil {
			return nil, fmt.Errorf("JWT_PRIVATE_KEY_PATH: %w", err)
		}
		return key, nil
	}
	data, err := os.ReadFile(path) // #nosec G304 -- the key path the operator configured
	if err != nil {
		return nil, fmt.Errorf("JWT_PRIVATE_KEY_PATH: %w", err)
	}
	key, err := auth.ParseRSAPrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("JWT_PRIVATE_KEY_PATH %s: %w", path, err)
	}
	return key, nil
}

// LoadPreviousKeys reads the retired public keys still published in the
// JWKS during a rotation: a file of PEM "PUBLIC KEY" (PKIX) or "RSA PUBLIC
// KEY" (PKCS#1) blocks. An empty path means none.
func LoadPreviousKeys(path string) ([]*rsa.PublicKey, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path) // #nosec G304 -- the key path the operator configured
	if err != nil {
		return nil, fmt.Errorf("JWT_PREVIOUS_PUBLIC_KEYS_PATH: %w", err)
	}
	var keys []*rsa.PublicKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		pub, err := parsePublicKey(block)
		if err != nil {
			return nil, fmt.Errorf("JWT_PREVIOUS_PUBLIC_KEYS_PATH %s: key %d: %w", path, len(keys)+1, err)
		}
		keys = append(keys, pub)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("JWT_PREVIOUS_PUBLIC_KEYS_PATH %s: no PEM public key found", path)
	}
	return keys, nil
}

func parsePublicKey(block *pem.Block) (*rsa.PublicKey, error) {
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%T is not an RSA key", k)
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
}
