package main

import (
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/service"
	"reos.dev/services/crm/internal/app"
)

// TestImportFileRetentionConfig: IMPORT_FILE_RETENTION defaults to 30
// days, 0 keeps files forever, and a value that is no duration (or a
// negative one) is refused naming the variable.
func TestImportFileRetentionConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, value string
		want        time.Duration
	}{
		{"default", "", 720 * time.Hour},
		{"forever", "0", 0},
		{"a week", "168h", 7 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": "postgres://u:p@h/db"}
			if tc.value != "" {
				env["IMPORT_FILE_RETENTION"] = tc.value
			}
			_, cfg, err := service.LoadConfig(spec(), config.FromMap(env))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Uploads.ImportFileRetention != tc.want {
				t.Fatalf("retention %s, want %s", cfg.Uploads.ImportFileRetention, tc.want)
			}
		})
	}
	if app.DefaultImportFileRetention != 720*time.Hour {
		t.Fatalf("default retention %s, want 720h", app.DefaultImportFileRetention)
	}
	for _, bad := range []string{"30d", "-1h", "soon"} {
		_, _, err := service.LoadConfig(spec(), config.FromMap(map[string]string{
			"DATABASE_URL": "postgres://u:p@h/db", "IMPORT_FILE_RETENTION": bad,
		}))
		if err == nil || !strings.Contains(err.Error(), "IMPORT_FILE_RETENTION") {
			t.Errorf("IMPORT_FILE_RETENTION=%s: %v, want the variable named", bad, err)
		}
	}
}
