package testkit

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fatalRecorder is a testing.TB whose Fatalf records instead of stopping the
// goroutine, so Eventually's failure can be asserted.
type fatalRecorder struct {
	testing.TB
	failed atomic.Bool
	msg    string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed.Store(true)
	f.msg = fmt.Sprintf(format, args...)
}

func TestEventually(t *testing.T) {
	t.Parallel()
	t.Run("returns once the condition holds", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		rec := &fatalRecorder{TB: t}
		Eventually(rec, 5*time.Second, func() bool { return calls.Add(1) == 4 }, "fourth call")
		if rec.failed.Load() {
			t.Fatalf("failed although the condition held: %s", rec.msg)
		}
		if got := calls.Load(); got != 4 {
			t.Fatalf("condition called %d times, want exactly 4 (no call after it held)", got)
		}
	})
	t.Run("fails with the message after the timeout", func(t *testing.T) {
		t.Parallel()
		rec := &fatalRecorder{TB: t}
		start := time.Now()
		Eventually(rec, 50*time.Millisecond, func() bool { return false }, "lead %s scored", "L1")
		if !rec.failed.Load() {
			t.Fatal("did not fail on a condition that never held")
		}
		if !strings.Contains(rec.msg, "lead L1 scored") || !strings.Contains(rec.msg, "50ms") {
			t.Fatalf("message %q names neither what was awaited nor the timeout", rec.msg)
		}
		if waited := time.Since(start); waited < 50*time.Millisecond {
			t.Fatalf("gave up after %s, before the 50ms timeout", waited)
		}
	})
	t.Run("a message function tells what was seen last", func(t *testing.T) {
		t.Parallel()
		rec := &fatalRecorder{TB: t}
		var seen atomic.Int32
		Eventually(rec, 30*time.Millisecond, func() bool { seen.Add(1); return false },
			func() string { return fmt.Sprintf("saw %d checks", seen.Load()) })
		if !rec.failed.Load() || !strings.Contains(rec.msg, fmt.Sprintf("saw %d checks", seen.Load())) {
			t.Fatalf("message %q does not carry the last state", rec.msg)
		}
	})
	t.Run("checks at least once with no time left", func(t *testing.T) {
		t.Parallel()
		rec := &fatalRecorder{TB: t}
		Eventually(rec, 0, func() bool { return true })
		if rec.failed.Load() {
			t.Fatal("a condition already true failed with a zero timeout")
		}
	})
}
