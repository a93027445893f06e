package jobs

import (
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/config"
)

func TestBackoffDoublesFromTheBaseAndIsCapped(t *testing.T) {
	b := backoff{base: time.Second}
	for attempt, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 30: maxRetryDelay} {
		if got := b.delay(attempt); got != want {
			t.Errorf("delay after attempt %d = %s, want %s", attempt, got, want)
		}
	}
}

func TestLoadSettingsNamesTheBadVariable(t *testing.T) {
	e := config.FromMap(map[string]string{"JOBS_RETRY_BASE": "50ms", "JOBS_POLL_INTERVAL": "0s"})
	s := LoadSettings(e)
	if s.RetryBase != 50*time.Millisecond || s.JobTimeout != DefaultJobTimeout || s.DeadLetterRetention != 30*24*time.Hour {
		t.Errorf("settings = %+v", s)
	}
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), "JOBS_POLL_INTERVAL") {
		t.Errorf("Err = %v, want JOBS_POLL_INTERVAL named", err)
	}
}

// TestDeadLetterRetentionIsConfigured: the queue's River client keeps
// discarded jobs for the configured retention, 30 days unless set.
func TestDeadLetterRetentionIsConfigured(t *testing.T) {
	if got := LoadSettings(config.FromMap(map[string]string{"JOBS_DLQ_RETENTION": "72h"})).DeadLetterRetention; got != 72*time.Hour {
		t.Errorf("JOBS_DLQ_RETENTION=72h read as %s", got)
	}
	if got := (Settings{}).withDefaults().DeadLetterRetention; got != 30*24*time.Hour {
		t.Errorf("default retention %s, want 30 days", got)
	}
}
