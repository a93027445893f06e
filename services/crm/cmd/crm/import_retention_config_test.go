package main

import (
	"testing"
	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/service"
)

// TestImportFileRetentionConfig: the binary reads IMPORT_FILE_RETENTION
// into its imports' settings (csvimport.LoadFileRetention, whose default
// and refusals are tested in pkg/csvimport).
func TestImportFileRetentionConfig(t *testing.T) {
	t.Parallel()
	_, cfg, err := service.LoadConfig(spec(), config.FromMap(map[string]string{
		"DATABASE_URL": "postgres://u:p@h/db", "IMPORT_FILE_RETENTION": "168h",
	}))
	if err != nil || cfg.Uploads.ImportFileRetention != 168*time.Hour {
		t.Fatalf("retention %s (%v), want 168h", cfg.Uploads.ImportFileRetention, err)
	}
}
