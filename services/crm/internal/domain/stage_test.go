package domain

import (
	"slices"
	"testing"
	"time"

	"reos.dev/pkg/apperr"
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

func TestStartStage(t *testing.T) {
	t.Parallel()
	// Out of position order, with a closed stage first and two open ones
	// sharing the lowest open position.
	p := []Stage{
		{ID: "won", Key: "won", Position: 1, Kind: KindWon},
		{ID: "b", Key: "b", Position: 30, Kind: KindOpen},
		{ID: "a", Key: "a", Position: 20, Kind: KindOpen},
		{ID: "a2", Key: "a2", Position: 20, Kind: KindOpen},
	}
	onlyClosed := []Stage{{ID: "won", Key: "won", Kind: KindWon}, {ID: "lost", Key: "lost", Kind: KindLost}}
	for _, tc := range []struct {
		name     string
		pipeline []Stage
		id, key  *string
		want     string // the stage's id, or the field the error names
	}{
		{"the first open stage by default", p, nil, nil, "a"},
		{"an open stage by key", p, nil, ptr("b"), "b"},
		{"an open stage by id, in any case", p, ptr(" A2 "), nil, "a2"},
		{"not a closed stage", p, nil, ptr("won"), "error:stage"},
		{"an unknown id names stage_id", p, ptr("zz"), nil, "error:stage_id"},
		{"an unknown key names stage", p, nil, ptr("zz"), "error:stage"},
		{"id and key name stage", p, ptr("a"), ptr("a"), "error:stage"},
		{"a pipeline without open stages", onlyClosed, nil, nil, "error:stage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, err := StartStage(tc.pipeline, tc.id, tc.key)
			got := st.ID
			if err != nil {
				got = "error:" + fieldsOf(t, err)[0]
			}
			if got != tc.want {
				t.Fatalf("StartStage = %q, want %q", got, tc.want)
			}
		})
	}
	if _, ok := FirstOpenStage(onlyClosed); ok {
		t.Error("FirstOpenStage found an open stage among closed ones")
	}
}

func TestDealMoveTo(t *testing.T) {
	t.Parallel()
	p := pipeline()
	stage := func(key string) Stage { return StageIn(p, key) }
	then, now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		from, to string
		admin    bool
		closedAt *time.Time // after the move; the deal is unchanged on refusal
		legal    bool
	}{
		{"forward to an open stage", "new", "offer", false, nil, true},
		{"won from the last open stage closes it", "under_contract", "closed_won", false, &now, true},
		{"lost from anywhere open closes it", "qualified", "closed_lost", false, &now, true},
		{"won too early is refused", "offer", "closed_won", false, nil, false},
		{"an agent cannot reopen", "closed_lost", "offer", false, nil, false},
		{"an admin reopens, and the deal is open again", "closed_lost", "offer", true, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Deal{ID: "d", StageID: tc.from, UpdatedAt: then}
			if stage(tc.from).Closed() {
				d.ClosedAt = &then
			}
			before := d
			from, err := d.MoveTo(p, stage(tc.to), tc.admin, now)
			if from.Key != tc.from {
				t.Errorf("from = %q, want %q", from.Key, tc.from)
			}
			if !tc.legal {
				e, ok := apperr.As(err)
				if !ok || e.Reason != ReasonIllegalTransition || fieldsOf(t, err)[0] != "stage" {
					t.Fatalf("err = %v, want an illegal transition naming stage", err)
				}
				if d != before {
					t.Errorf("a refused move changed the deal: %+v", d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.StageID != tc.to || !d.UpdatedAt.Equal(now) || !EqualPtr(d.ClosedAt, tc.closedAt) {
				t.Errorf("deal = %+v, want stage %s closed at %v", d, tc.to, tc.closedAt)
			}
		})
	}
}
