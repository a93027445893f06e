package csvimport_test

import (
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/config"
	"reos.dev/pkg/csvimport"
)

// TestLoadFileRetention: IMPORT_FILE_RETENTION defaults to 30 days, 0
// keeps files forever, and a value that is no duration (or a negative
// one) is refused naming the variable.
func TestLoadFileRetention(t *testing.T) {
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
			t.Parallel()
			env := map[string]string{}
			if tc.value != "" {
				env["IMPORT_FILE_RETENTION"] = tc.value
			}
			e := config.FromMap(env)
			if got := csvimport.LoadFileRetention(e); got != tc.want || e.Err() != nil {
				t.Fatalf("retention %s (%v), want %s", got, e.Err(), tc.want)
			}
		})
	}
	for _, bad := range []string{"30d", "-1h", "soon"} {
		e := config.FromMap(map[string]string{"IMPORT_FILE_RETENTION": bad})
		csvimport.LoadFileRetention(e)
		if err := e.Err(); err == nil || !strings.Contains(err.Error(), "IMPORT_FILE_RETENTION") {
			t.Errorf("IMPORT_FILE_RETENTION=%s: %v, want the variable named", bad, err)
		}
	}
}
