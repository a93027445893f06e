package storage_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/storage"
)

func loadStorage(env map[string]string) (storage.Config, error) {
	e := config.FromMap(env)
	common := config.LoadCommon(e, "property", "127.0.0.1:0")
	c := storage.LoadConfig(e, common)
	return c, e.Err()
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	// Mock mode needs nothing: a temp directory and a derived, stable key.
	c, err := loadStorage(map[string]string{"MODE": "mock"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != filepath.Join(os.TempDir(), "reos-storage", "property") || c.URLTTL != 15*time.Minute ||
		string(c.SigningKey) != storage.MockSigningKey("property") || len(c.SigningKey) < storage.MinSecretBytes {
		t.Fatalf("mock defaults = %+v", c)
	}
	if storage.MockSigningKey("property") == storage.MockSigningKey("crm") {
		t.Error("two services share a mock signing key")
	}

	const secret = "prod-signing-key-0123456789abcdef-xyz"
	c, err = loadStorage(map[string]string{"MODE": "production", "STORAGE_DIR": "/srv/files", "STORAGE_SIGNING_KEY": secret, "STORAGE_URL_TTL": "5m"})
	if err != nil || c.Dir != "/srv/files" || string(c.SigningKey) != secret || c.URLTTL != 5*time.Minute {
		t.Fatalf("production = %+v %v", c, err)
	}

	// Production refuses to start without its directory and secret; a short
	// secret is refused by length, never echoed.
	_, err = loadStorage(map[string]string{"MODE": "production"})
	if err == nil || !strings.Contains(err.Error(), "STORAGE_DIR") || !strings.Contains(err.Error(), "STORAGE_SIGNING_KEY") {
		t.Fatalf("production without storage variables: %v", err)
	}
	_, err = loadStorage(map[string]string{"MODE": "mock", "STORAGE_SIGNING_KEY": "short-and-secret", "STORAGE_URL_TTL": "30s"})
	if err == nil || !strings.Contains(err.Error(), "STORAGE_SIGNING_KEY") || strings.Contains(err.Error(), "short-and-secret") ||
		!strings.Contains(err.Error(), "STORAGE_URL_TTL") {
		t.Fatalf("short key and TTL: %v", err)
	}
}

// Open builds a working pair: what the disk store keeps, the signer's link
// lets the handler serve.
func TestConfigOpen(t *testing.T) {
	t.Parallel()
	c := storage.Config{Dir: t.TempDir(), SigningKey: storage.Secret(storage.MockSigningKey("crm")), URLTTL: time.Minute}
	disk, signer, err := c.Open("crm")
	if err != nil {
		t.Fatal(err)
	}
	if signer.Prefix() != "/api/v1/files/crm/" {
		t.Fatalf("prefix = %s", signer.Prefix())
	}
	if _, err := disk.Put(t.Context(), "o/x", strings.NewReader("hello"), storage.ObjectMeta{ContentType: "text/plain"}); err != nil {
		t.Fatal(err)
	}
	rc, _, err := disk.Open(t.Context(), "o/x")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); !bytes.Equal(b, []byte("hello")) {
		t.Fatalf("read %q", b)
	}
	if _, _, err := (storage.Config{Dir: c.Dir, SigningKey: storage.Secret("short")}).Open("crm"); err == nil {
		t.Error("opened with a short signing key")
	}
}
