package jobs

import (
	"testing"
	"time"
)

func TestBackoffDoublesFromTheBaseAndIsCapped(t *testing.T) {
	b := backoff{base: time.Second}
	for attempt, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 30: maxRetryDelay} {
		if got := b.delay(attempt); got != want {
			t.Errorf("delay after attempt %d = %s, want %s", attempt, got, want)
		}
	}
}
