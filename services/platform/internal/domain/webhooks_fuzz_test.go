package domain

import (
	"strings"
	"testing"
)

// FuzzEventFilter: a filter accepted as valid selects its own type (a
// wildcard: a type under its prefix), and never panics on any type.
func FuzzEventFilter(f *testing.F) {
	for _, s := range []string{"*", "lead.*", "lead.created", "", ".*", "a..b", "Lead.x"} {
		f.Add(s, "lead.created")
	}
	f.Fuzz(func(t *testing.T, filter, eventType string) {
		_ = MatchesEventType(filter, eventType)
		if !ValidEventFilter(filter) || filter == "*" {
			return
		}
		if prefix, ok := strings.CutSuffix(filter, ".*"); ok {
			if !MatchesEventType(filter, prefix+".x") || MatchesEventType(filter, prefix) {
				t.Fatalf("wildcard %q: selects %q=%v, %q=%v", filter, prefix+".x", MatchesEventType(filter, prefix+".x"), prefix, MatchesEventType(filter, prefix))
			}
			return
		}
		if !MatchesEventType(filter, filter) {
			t.Fatalf("%q does not select itself", filter)
		}
	})
}
