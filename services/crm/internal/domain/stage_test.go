package domain

import (
	"slices"
	"testing"
)

func pipeline() []Stage {
	st := DefaultStages()
	for i := range st {
		st[i].ID = st[i].Key
	}
	return st
}

// TestCheckTransitionEveryPair checks every (from, to) pair of the default
// pipeline against the hand-written rule table, for agents and admins.
func TestCheckTransitionEveryPair(t *testing.T) {
	t.Parallel()
	legal := map[string][]string{
		"new":            {"qualified", "showing", "offer", "under_contract", "closed_lost"},
		"qualified":      {"new", "showing", "offer", "under_contract", "closed_lost"},
		"showing":        {"qualified", "offer", "under_contract", "closed_lost"},
		"offer":          {"showing", "under_contract", "closed_lost"},
		"under_contract": {"offer", "closed_won", "closed_lost"},
		"closed_won":     {},
		"closed_lost":    {},
	}
	open := []string{"new", "qualified", "showing", "offer", "under_contract"}
	p := pipeline()
	for _, from := range p {
		for _, to := range p {
			for _, admin := range []bool{false, true} {
				want := slices.Contains(legal[from.Key], to.Key)
				if admin && from.Closed() {
					want = slices.Contains(open, to.Key) // reopen
				}
				name := from.Key + "->" + to.Key
				if admin {
					name += "(admin)"
				}
				t.Run(name, func(t *testing.T) {
					why := CheckTransition(p, from, to, admin)
					if (why == "") != want {
						t.Fatalf("legal = %v (%q), want %v", why == "", why, want)
					}
				})
			}
		}
	}
}

func TestCustomStageJoinsTheOrder(t *testing.T) {
	t.Parallel()
	p := append(pipeline(), Stage{ID: "inspection", Key: "inspection", Position: 55, Kind: KindOpen})
	byKey := func(k string) Stage {
		for _, s := range p {
			if s.Key == k {
				return s
			}
		}
		t.Fatalf("no stage %s", k)
		return Stage{}
	}
	tests := []struct {
		name, from, to string
		legal          bool
	}{
		{"won only from the new last open stage", "under_contract", "closed_won", false},
		{"inspection is last open", "inspection", "closed_won", true},
		{"back one from inspection", "inspection", "under_contract", true},
		{"back two from inspection", "inspection", "offer", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := CheckTransition(p, byKey(tc.from), byKey(tc.to), false) == ""; got != tc.legal {
				t.Fatalf("legal = %v, want %v", got, tc.legal)
			}
		})
	}
}
