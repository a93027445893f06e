package http

import (
	"reflect"
	"strings"
	"testing"
)

// TestNewHandlerNamesMissingDependencies: every field of Config is
// required, and each missing one is named.
func TestNewHandlerNamesMissingDependencies(t *testing.T) {
	t.Parallel()
	_, _, err := NewHandler(Config{})
	if err == nil {
		t.Fatal("NewHandler accepted no dependencies")
	}
	cfg := reflect.TypeFor[Config]()
	for i := range cfg.NumField() {
		if name := cfg.Field(i).Name; !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
