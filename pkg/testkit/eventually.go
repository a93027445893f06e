package testkit

import (
	"fmt"
	"testing"
	"time"
)

// Poll intervals of Eventually: the first check is immediate, then the wait
// doubles from pollMin up to pollMax, so a fast condition is seen within
// milliseconds and a slow one costs a few dozen checks.
const (
	pollMin = 5 * time.Millisecond
	pollMax = 100 * time.Millisecond
)

// Eventually checks cond until it returns true, failing the test (Fatalf)
// when timeout passes first. msgAndArgs, a format and its arguments, say what
// was awaited; a func() string instead is called at the failure, so the
// message can tell what the condition saw last; cond must not call t.Fatal itself (it may run after the test
// has moved on in another goroutine's eyes), so it reports through its
// result. It replaces hand-written poll loops and never sleeps longer than
// the condition needs.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	if !poll(timeout, cond) {
		t.Fatalf("not within %s: %s", timeout, describe(msgAndArgs))
	}
}

// poll runs cond until it is true (true) or timeout passes (false).
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	wait := pollMin
	for {
		if cond() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		time.Sleep(min(wait, left))
		wait = min(2*wait, pollMax)
	}
}

func describe(msgAndArgs []any) string {
	if len(msgAndArgs) == 0 {
		return "condition never held"
	}
	if f, ok := msgAndArgs[0].(func() string); ok {
		return f()
	}
	if format, ok := msgAndArgs[0].(string); ok {
		return fmt.Sprintf(format, msgAndArgs[1:]...)
	}
	return fmt.Sprint(msgAndArgs...)
}
