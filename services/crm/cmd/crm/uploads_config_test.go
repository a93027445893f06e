package main

import (
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/service"
)

func TestUploadSettings(t *testing.T) {
	t.Parallel()
	_, cfg, err := service.LoadConfig(spec(), config.FromMap(map[string]string{"DATABASE_URL": "postgres://u:p@h/db"}))
	if err != nil {
		t.Fatal(err)
	}
	u := cfg.Uploads
	if u.ImportMaxBytes != 64<<20 || u.ImportInlineBytes != 1<<20 || u.ImportBatchRows != 5000 || u.DocumentMaxBytes != 25<<20 ||
		u.LinkTTL != 15*time.Minute || cfg.Storage.Dir == "" {
		t.Fatalf("defaults = %+v, storage dir %q", u, cfg.Storage.Dir)
	}
	_, _, err = service.LoadConfig(spec(), config.FromMap(map[string]string{
		"DATABASE_URL": "postgres://u:p@h/db", "IMPORT_BATCH_ROWS": "0", "IMPORT_INLINE_MAX_BYTES": "x",
		"DOCUMENT_MAX_BYTES": "1", "STORAGE_URL_TTL": "1s",
	}))
	for _, name := range []string{"IMPORT_BATCH_ROWS", "IMPORT_INLINE_MAX_BYTES", "DOCUMENT_MAX_BYTES", "STORAGE_URL_TTL"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}
