package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestThumbprintRFC7638Example(t *testing.T) {
	t.Parallel()
	// RFC 7638 §3.1.
	const (
		n    = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
		want = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
	)
	pub, err := JWK{Kty: "RSA", Kid: "2011-04-29", Alg: "RS256", N: n, E: "AQAB"}.PublicKey()
	if err != nil {
		t.Fatalf("PublicKey: %v", err)
	}
	if got := Thumbprint(pub); got != want {
		t.Fatalf("Thumbprint = %q, want %q", got, want)
	}
	if jwk := NewJWK(pub, "x"); jwk.N != n || jwk.E != "AQAB" {
		t.Fatalf("NewJWK did not round-trip n/e: %+v", jwk)
	}
}

func jwkJSON(t *testing.T, keys ...JWK) []byte {
	t.Helper()
	b, err := json.Marshal(JWKS{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseJWKS(t *testing.T) {
	t.Parallel()
	pub := &testKey(t, 0).PublicKey
	good := NewJWK(pub, "k1")
	other := NewJWK(&testKey(t, 1).PublicKey, "k2")
	small, err := rsa.GenerateKey(randReader(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(*JWK)) JWK { k := good; f(&k); return k }

	tests := []struct {
		name     string
		doc      []byte
		wantKids []string // nil means an error is expected
	}{
		{"one key", jwkJSON(t, good), []string{"k1"}},
		{"two keys", jwkJSON(t, good, other), []string{"k1", "k2"}},
		{"alg and use omitted", jwkJSON(t, with(func(k *JWK) { k.Alg, k.Use = "", "" })), []string{"k1"}},
		{"foreign keys skipped", jwkJSON(t, good,
			JWK{Kty: "EC", Kid: "ec", Alg: "ES256"},
			with(func(k *JWK) { k.Kid, k.Alg = "rs512", "RS512" }),
			with(func(k *JWK) { k.Kid, k.Use = "enc", "enc" }),
			with(func(k *JWK) { k.Kid = "" }),
		), []string{"k1"}},
		{"only foreign keys", jwkJSON(t, JWK{Kty: "oct", Kid: "h"}), nil},
		{"no keys", []byte(`{"keys":[]}`), nil},
		{"not JSON", []byte(`<html>`), nil},
		{"keys not a list", []byte(`{"keys":{}}`), nil},
		{"duplicate kid", jwkJSON(t, good, with(func(k *JWK) { k.N = other.N })), nil},
		{"1024-bit key", jwkJSON(t, NewJWK(&small.PublicKey, "small")), nil},
		{"padded n", jwkJSON(t, with(func(k *JWK) { k.N += "==" })), nil},
		{"standard base64 n", jwkJSON(t, with(func(k *JWK) { k.N = base64.StdEncoding.EncodeToString(pub.N.Bytes()) })), nil},
		{"empty e", jwkJSON(t, with(func(k *JWK) { k.E = "" })), nil},
		{"even e", jwkJSON(t, with(func(k *JWK) { k.E = "Ag" })), nil},
		{"e of one", jwkJSON(t, with(func(k *JWK) { k.E = "AQ" })), nil},
		{"huge e", jwkJSON(t, with(func(k *JWK) { k.E = "AQAAAAAB" })), nil},
		{"even modulus", jwkJSON(t, with(func(k *JWK) {
			k.N = base64.RawURLEncoding.EncodeToString(new(big.Int).Add(pub.N, big.NewInt(1)).Bytes())
		})), nil},
		{"16384-bit modulus", jwkJSON(t, with(func(k *JWK) {
			n := new(big.Int).Lsh(big.NewInt(1), 16383)
			k.N = base64.RawURLEncoding.EncodeToString(n.Or(n, big.NewInt(1)).Bytes())
		})), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			keys, err := ParseJWKS(tt.doc)
			if tt.wantKids == nil {
				if err == nil {
					t.Fatalf("ParseJWKS accepted the document: %v", keys)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJWKS: %v", err)
			}
			if len(keys) != len(tt.wantKids) {
				t.Fatalf("got %d keys, want %v", len(keys), tt.wantKids)
			}
			for _, kid := range tt.wantKids {
				if keys[kid] == nil {
					t.Errorf("kid %q missing", kid)
				}
			}
		})
	}
}

func TestParseRSAPrivateKeyPEM(t *testing.T) {
	t.Parallel()
	key := testKey(t, 0)
	pkcs8, err := MarshalRSAPrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	small, err := rsa.GenerateKey(randReader(), 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPEM, err := MarshalRSAPrivateKeyPEM(small)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), randReader())
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"PKCS#8", pkcs8, true},
		{"PKCS#1", pkcs1, true},
		{"1024-bit", smallPEM, false},
		{"EC key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), false},
		{"public key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), false},
		{"corrupt DER", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("nope")}), false},
		{"not PEM", []byte("hello"), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRSAPrivateKeyPEM(tt.data)
			if !tt.ok {
				if err == nil {
					t.Fatal("ParseRSAPrivateKeyPEM accepted the input")
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRSAPrivateKeyPEM: %v", err)
			}
			if !got.Equal(key) {
				t.Fatal("parsed a different key")
			}
		})
	}
}

func TestLoadOrCreateRSAKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state", "keys", "jwt.pem")

	// Racing creators must all end up with the one key that is on disk.
	const racers = 4
	keys := make([]*rsa.PrivateKey, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateRSAKey(path) })
	}
	wg.Wait()
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreateRSAKey #%d: %v", i, errs[i])
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %v, want 0600", perm)
	}
	again, err := LoadOrCreateRSAKey(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if !k.Equal(again) {
			t.Errorf("racer %d got a key that is not the stored one", i)
		}
	}
	if again.N.BitLen() != 2048 {
		t.Errorf("key has %d bits, want 2048", again.N.BitLen())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("key file is not PEM PKCS#8: %.40q", data)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestLoadOrCreateRSAKeyRefusesBadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "jwt.pem")
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateRSAKey(path); err == nil {
		t.Fatal("a corrupt key file was accepted (or silently replaced)")
	}
	if data, _ := os.ReadFile(path); string(data) != "garbage" {
		t.Fatal("the corrupt key file was overwritten")
	}
}
