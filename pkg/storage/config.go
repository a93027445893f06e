package storage

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"reos.dev/pkg/config"
)

// Config is the storage configuration a service reads from its environment:
//
//	STORAGE_DIR          root of the disk store. Required in production (a
//	                     persistent volume, until the S3 adapter exists); in
//	                     mock mode it defaults to <tmp>/reos-storage/<service>
//	                     (make up passes .state/storage/<service>).
//	STORAGE_SIGNING_KEY  the HMAC secret of download links, at least 32 bytes
//	                     (e.g. `openssl rand -base64 48`). Required in
//	                     production. In mock mode it defaults to a key derived
//	                     from the service name: public knowledge, so mock
//	                     links are forgeable by design, but stable across
//	                     restarts and instances. It is never logged.
//	STORAGE_URL_TTL      how long a download link lives (default 15m, 1m–7d).
type Config struct {
	Dir        string
	SigningKey Secret
	URLTTL     time.Duration
}

// LoadConfig reads the storage variables of common.Service.
func LoadConfig(e *config.Env, common config.Common) Config {
	c := Config{URLTTL: e.Duration("STORAGE_URL_TTL", 15*time.Minute)}
	if c.URLTTL < time.Minute || c.URLTTL > MaxTTL {
		e.Check("STORAGE_URL_TTL", fmt.Errorf("must be between 1m and %s, got %s", MaxTTL, c.URLTTL))
	}
	key := e.String("STORAGE_SIGNING_KEY", "")
	if common.Mode == config.ModeProduction {
		c.Dir = e.Required("STORAGE_DIR")
		if key == "" {
			e.Required("STORAGE_SIGNING_KEY")
		}
	} else {
		c.Dir = e.String("STORAGE_DIR", filepath.Join(os.TempDir(), "reos-storage", common.Service))
		if key == "" {
			key = MockSigningKey(common.Service)
		}
	}
	if key != "" && len(key) < MinSecretBytes {
		// Only the length is reported: the value is a secret.
		e.Check("STORAGE_SIGNING_KEY", fmt.Errorf("must be at least %d bytes, got %d", MinSecretBytes, len(key)))
	}
	c.SigningKey = Secret(key)
	return c
}

// MockSigningKey is the mock-mode signing key of a service: derived from
// its name so every instance agrees, and worthless as a secret.
func MockSigningKey(service string) string {
	sum := sha256.Sum256([]byte("reos mock storage signing key: " + service))
	return fmt.Sprintf("%x", sum)
}

// Open builds the disk store and the signer of service's download links.
func (c Config) Open(service string) (*Disk, *Signer, error) {
	disk, err := NewDisk(c.Dir)
	if err != nil {
		return nil, nil, err
	}
	signer, err := NewSigner(c.SigningKey, FilesPrefix(service))
	if err != nil {
		return nil, nil, err
	}
	return disk, signer, nil
}
