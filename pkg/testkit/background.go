package testkit

import (
	"context"
	"testing"
	"time"
)

// RunInBackground runs run (a consumer's or worker's Run) until the test
// ends: its context is cancelled at cleanup, and the test fails if run
// returned an error or had not stopped 30 s later.
func RunInBackground(t testing.TB, name string, run func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop", name)
		}
	})
}
