package main

import (
	"strings"
	"testing"

	"reos.dev/pkg/config"
	"reos.dev/pkg/service"
	"reos.dev/services/property/internal/app"
)

func TestMediaConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, cfg, err := service.LoadConfig(spec(), config.FromMap(map[string]string{
		"DATABASE_URL": "postgres://u:p@h/db", "STORAGE_DIR": dir, "IMAGE_MAX_BYTES": "1024", "STORAGE_URL_TTL": "2m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	files, signer, err := cfg.Storage.Open("property")
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.media(files, signer)
	if m.ImageMaxBytes != 1024 || m.DocumentMaxBytes != app.DefaultDocumentMaxBytes || m.URLTTL.Minutes() != 2 ||
		cfg.Storage.Dir != dir || signer.Prefix() != "/api/v1/files/property/" {
		t.Fatalf("media config = %+v", m)
	}
	_, _, err = service.LoadConfig(spec(), config.FromMap(map[string]string{
		"DATABASE_URL": "postgres://u:p@h/db", "IMAGE_MAX_BYTES": "0", "DOCUMENT_MAX_BYTES": "lots",
	}))
	if err == nil || !strings.Contains(err.Error(), "IMAGE_MAX_BYTES") || !strings.Contains(err.Error(), "DOCUMENT_MAX_BYTES") {
		t.Fatalf("bad limits: %v", err)
	}
}
