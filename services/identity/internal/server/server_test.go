package server

import (
	"strings"
	"testing"
)

// TestNewNamesMissingDependencies: the required collaborators are named,
// the ones with defaults are not.
func TestNewNamesMissingDependencies(t *testing.T) {
	t.Parallel()
	_, err := New(Options{})
	if err == nil {
		t.Fatal("New accepted no dependencies")
	}
	for _, name := range []string{"Pool", "Keys", "Logger", "Revocations"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	for _, name := range []string{"Clock", "Hasher", "Metrics", "Health"} {
		if strings.Contains(err.Error(), name) {
			t.Errorf("error %q names %s, which has a default", err, name)
		}
	}
}
