package testkit

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRunInBackground(t *testing.T) {
	var stopped bool
	rec := &errorRecorder{fatalRecorder: &fatalRecorder{}}
	t.Run("runner", func(t *testing.T) {
		rec.TB = t
		RunInBackground(rec, "worker", func(ctx context.Context) error {
			<-ctx.Done()
			stopped = true
			return errors.New("broke on the way out")
		})
	})
	// The subtest's cleanup has run: the runner was cancelled, waited for,
	// and its error reported under its name.
	if !stopped || !strings.Contains(rec.errs, "worker: broke on the way out") {
		t.Fatalf("stopped %v, errors %q", stopped, rec.errs)
	}
}
