package service_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"reos.dev/pkg/config"
	"reos.dev/pkg/service"
)

func TestDemoSeed(t *testing.T) {
	t.Parallel()
	calls := 0
	run := func(_ context.Context, org string) ([]string, bool, error) {
		calls++
		if org == "fail" {
			return []string{"half"}, true, errors.New("boom")
		}
		return []string{"made " + org}, calls == 1, nil
	}
	for _, tc := range []struct {
		name, mode, org, want string
		err                   bool
	}{
		{"no org", config.ModeMock, "", "SEED_ORG_ID is not set", false},
		{"production", config.ModeProduction, "o", "", true},
		{"first run", config.ModeMock, "o", "seed: made o\n", false},
		{"second run", config.ModeMock, "o", "nothing to do; the demo data is already there", false},
		{"failure keeps its lines", config.ModeMock, "fail", "seed: half", true},
	} {
		var out bytes.Buffer
		err := service.DemoSeed(tc.mode, tc.org, run)(t.Context(), &out)
		if (err != nil) != tc.err || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: %q, %v", tc.name, out.String(), err)
		}
	}
	if calls != 3 {
		t.Errorf("run called %d times, want 3 (not without an org, not in production)", calls)
	}
}
