package token

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSigningKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "jwt.pem")
	if _, err := LoadSigningKey(path, false); err == nil || !strings.Contains(err.Error(), "JWT_PRIVATE_KEY_PATH") {
		t.Fatalf("production with a missing file: %v", err)
	}
	created, err := LoadSigningKey(path, true)
	if err != nil {
		t.Fatalf("mock creates the key: %v", err)
	}
	again, err := LoadSigningKey(path, false)
	if err != nil || !again.Equal(created) {
		t.Fatalf("reload: %v", err)
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigningKey(path, false); err == nil {
		t.Fatal("garbage key accepted")
	}
}

func TestLoadPreviousKeys(t *testing.T) {
	t.Parallel()
	if keys, err := LoadPreviousKeys(""); err != nil || keys != nil {
		t.Fatalf("empty path: %v %v", keys, err)
	}
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	pkix, _ := x509.MarshalPKIXPublicKey(&k1.PublicKey)
	data := append(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k2.PublicKey)})...)
	path := filepath.Join(t.TempDir(), "prev.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := LoadPreviousKeys(path)
	if err != nil || len(keys) != 2 || !keys[0].Equal(&k1.PublicKey) || !keys[1].Equal(&k2.PublicKey) {
		t.Fatalf("keys = %d, %v", len(keys), err)
	}
	if err := os.WriteFile(path, []byte("nothing"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPreviousKeys(path); err == nil {
		t.Fatal("a file without keys accepted")
	}
}
