package server

import (
	"reflect"
	"strings"
	"testing"

	transport "reos.dev/services/crm/internal/transport/http"
)

// TestConstructorsNameMissingDependencies: the required collaborators of
// New, of the HTTP handler it builds (every field of transport.Config) and
// of the read-model consumers are named, the ones with defaults are not.
func TestConstructorsNameMissingDependencies(t *testing.T) {
	t.Parallel()
	_, consumerErr := NewPropertyConsumer(ConsumerOptions{})
	_, identityErr := NewIdentityConsumer(ConsumerOptions{})
	_, outreachErr := NewOutreachConsumer(ConsumerOptions{})
	_, serverErr := New(Options{})
	_, _, handlerErr := transport.NewHandler(transport.Config{})
	var config []string
	for f := range reflect.TypeFor[transport.Config]().Fields() {
		config = append(config, f.Name)
	}
	tests := []struct {
		name           string
		err            error
		named, unnamed []string
	}{
		{"http.NewHandler", handlerErr, config, nil},
		{"New", serverErr, []string{"Pool", "Verifier", "Logger", "Files", "Signer"}, []string{"Clock", "Metrics", "Health"}},
		{"NewPropertyConsumer", consumerErr, []string{"Pool", "Brokers", "Logger"}, []string{"GroupID", "MaxWait"}},
		{"NewIdentityConsumer", identityErr, []string{"Pool", "Brokers", "Logger"}, []string{"GroupID", "MaxWait"}},
		{"NewOutreachConsumer", outreachErr, []string{"Pool", "Brokers", "Logger"}, []string{"GroupID", "MaxWait"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.err == nil {
				t.Fatal("accepted no dependencies")
			}
			for _, name := range tc.named {
				if !strings.Contains(tc.err.Error(), name) {
					t.Errorf("error %q does not name %s", tc.err, name)
				}
			}
			for _, name := range tc.unnamed {
				if strings.Contains(tc.err.Error(), name) {
					t.Errorf("error %q names %s, which has a default", tc.err, name)
				}
			}
		})
	}
}
