package tests

import (
	"strings"
	"testing"

	"reos.dev/services/property/internal/server"
)

// TestNewNamesMissingDependencies: server.New refuses options without
// their required collaborators and names each one; the optional ones
// default.
func TestNewNamesMissingDependencies(t *testing.T) {
	t.Parallel()
	_, err := server.New(server.Options{})
	if err == nil || !strings.Contains(err.Error(), "missing Pool, Verifier, Logger") {
		t.Fatalf("server.New(Options{}) = %v, want the three required fields named", err)
	}
}
