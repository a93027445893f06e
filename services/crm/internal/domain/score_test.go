package domain

import (
	"maps"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// The model's weights as services/crm/README.md states them (Scoring),
// typed here rather than read from the constants under test.
var wantWeights = map[string]int{
	"recency": 25, "frequency": 20, "source_quality": 15, "budget_fit": 15, "stage": 15, "responsiveness": 10,
}

// TestComputeScoreKnownInputs: every expected value is worked by hand from
// the model's rules (written out in each case's comment), never by running
// the formula again: a factor earns its share of its weight, rounded half
// away from zero; recency halves every 7 days; 10 activities earn every
// frequency point; the target inside the budget earns all, within 10 %
// outside it half; stage shares are new 0.2, contacted 0.4, nurturing 0.5,
// qualified 0.8, converted 1, unqualified 0.
func TestComputeScoreKnownInputs(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	type pts map[string]int
	tests := []struct {
		name  string
		in    ScoreInput
		want  int
		parts pts
	}{
		{
			// stage 15 × 0.2 = 3; nothing else is known.
			name: "brand new lead without information",
			in:   ScoreInput{Now: now, Status: StatusNew},
			want: 3, parts: pts{"recency": 0, "frequency": 0, "source_quality": 0, "budget_fit": 0, "stage": 3, "responsiveness": 0},
		},
		{
			// recency 25 (active now); frequency 20 (10 of 10); source
			// 15 × 0.9 = 13.5 → 14; budget 15 (600 within 500–700); stage
			// 15 × 0.8 = 12; responsiveness 10 × 6/10 = 6.
			name: "hot referral active today",
			in: ScoreInput{Now: now, Status: StatusQualified, LastActivityAt: ptr(now), Activities: 10, Inbound: 6, Outbound: 4,
				SourceWeight: ptr(90), BudgetMinCents: ptr[int64](500), BudgetMaxCents: ptr[int64](700), TargetPriceCents: ptr[int64](600)},
			want:  92,
			parts: pts{"recency": 25, "frequency": 20, "source_quality": 14, "budget_fit": 15, "stage": 12, "responsiveness": 6},
		},
		{
			// recency 25 / 2 = 12.5 → 13; frequency 20 × 3/10 = 6; source
			// 15 × 0.2 = 3; budget 1050 is 5 % over 1000: 15 / 2 = 7.5 → 8;
			// stage 15 × 0.4 = 6; responsiveness 10 × 1/3 = 3.33 → 3.
			name: "a week quiet halves recency, target 5% over budget earns half",
			in: ScoreInput{Now: now, Status: StatusContacted, LastActivityAt: ptr(now.Add(-7 * day)), Activities: 3, Inbound: 1, Outbound: 2,
				SourceWeight: ptr(20), BudgetMaxCents: ptr[int64](1000), TargetPriceCents: ptr[int64](1050)},
			want:  39,
			parts: pts{"recency": 13, "frequency": 6, "source_quality": 3, "budget_fit": 8, "stage": 6, "responsiveness": 3},
		},
		{
			// recency 25 / 2^10 = 0.02 → 0; frequency capped at 20;
			// source 0; budget 100 is 90 % under 1000: 0; stage 0;
			// responsiveness 0 inbound of 25: 0.
			name: "unqualified, target far outside budget, more than the cap of activities",
			in: ScoreInput{Now: now, Status: StatusUnqualified, LastActivityAt: ptr(now.Add(-70 * day)), Activities: 25, Outbound: 25,
				SourceWeight: ptr(0), BudgetMinCents: ptr[int64](1000), TargetPriceCents: ptr[int64](100)},
			want:  20,
			parts: pts{"recency": 0, "frequency": 20, "source_quality": 0, "budget_fit": 0, "stage": 0, "responsiveness": 0},
		},
		{
			// recency 25 (the future is now); frequency 20 × 1/10 = 2;
			// stage 15; responsiveness 10 × 1/1 = 10.
			name:  "activity dated in the future counts as now",
			in:    ScoreInput{Now: now, Status: StatusConverted, LastActivityAt: ptr(now.Add(time.Hour)), Activities: 1, Inbound: 1},
			want:  52,
			parts: pts{"recency": 25, "frequency": 2, "source_quality": 0, "budget_fit": 0, "stage": 15, "responsiveness": 10},
		},
		{
			// recency 25 / √2 = 17.68 → 18; frequency 20 × 5/10 = 10;
			// source 15 × 0.3 = 4.5 → 5; budget 1100 is exactly 10 % over
			// 1000: 7.5 → 8; stage 15 × 0.5 = 7.5 → 8; responsiveness
			// 10 × 2/3 = 6.67 → 7.
			name: "half a week quiet, halves rounded up, target exactly 10% over budget",
			in: ScoreInput{Now: now, Status: StatusNurturing, LastActivityAt: ptr(now.Add(-84 * time.Hour)), Activities: 5, Inbound: 2, Outbound: 1,
				SourceWeight: ptr(30), BudgetMinCents: ptr[int64](800), BudgetMaxCents: ptr[int64](1000), TargetPriceCents: ptr[int64](1100)},
			want:  56,
			parts: pts{"recency": 18, "frequency": 10, "source_quality": 5, "budget_fit": 8, "stage": 8, "responsiveness": 7},
		},
		{
			// recency 25 / 4 = 6.25 → 6; frequency 20 × 2/10 = 4; source
			// 15 × 0.1 = 1.5 → 2; budget 900 is exactly 10 % under 1000
			// (no maximum): 7.5 → 8; stage 3; responsiveness 10 × 1/2 = 5.
			name: "two weeks quiet, target exactly 10% under a minimum-only budget",
			in: ScoreInput{Now: now, Status: StatusNew, LastActivityAt: ptr(now.Add(-14 * day)), Activities: 2, Inbound: 1, Outbound: 1,
				SourceWeight: ptr(10), BudgetMinCents: ptr[int64](1000), TargetPriceCents: ptr[int64](900)},
			want:  28,
			parts: pts{"recency": 6, "frequency": 4, "source_quality": 2, "budget_fit": 8, "stage": 3, "responsiveness": 5},
		},
		{
			// source 15 × 1 = 15; budget 1101 is more than 10 % over 1000
			// (no minimum): 0; stage 12; no activity: the rest 0.
			name: "a cent beyond 10% over a maximum-only budget earns nothing",
			in: ScoreInput{Now: now, Status: StatusQualified, SourceWeight: ptr(100),
				BudgetMaxCents: ptr[int64](1000), TargetPriceCents: ptr[int64](1101)},
			want:  27,
			parts: pts{"recency": 0, "frequency": 0, "source_quality": 15, "budget_fit": 0, "stage": 12, "responsiveness": 0},
		},
		{
			// recency 25 / 8 = 3.125 → 3; frequency 20 × 3/10 = 6; no
			// source 0; budget 1,000,000 above a minimum of 1000 with no
			// maximum: 15; stage 6; responsiveness 0 inbound of 3: 0.
			name: "three weeks quiet, a minimum-only budget is open above",
			in: ScoreInput{Now: now, Status: StatusContacted, LastActivityAt: ptr(now.Add(-21 * day)), Activities: 3, Outbound: 3,
				BudgetMinCents: ptr[int64](1000), TargetPriceCents: ptr[int64](1_000_000)},
			want:  30,
			parts: pts{"recency": 3, "frequency": 6, "source_quality": 0, "budget_fit": 15, "stage": 6, "responsiveness": 0},
		},
		{
			// budget known, target price not: 0; stage 15.
			name:  "a budget without a target price earns nothing",
			in:    ScoreInput{Now: now, Status: StatusConverted, BudgetMinCents: ptr[int64](500), BudgetMaxCents: ptr[int64](700)},
			want:  15,
			parts: pts{"recency": 0, "frequency": 0, "source_quality": 0, "budget_fit": 0, "stage": 15, "responsiveness": 0},
		},
		{
			// Every factor at its weight: 25 + 20 + 15 + 15 + 15 + 10.
			name: "everything at its best is exactly 100",
			in: ScoreInput{Now: now, Status: StatusConverted, LastActivityAt: ptr(now), Activities: 12, Inbound: 12,
				SourceWeight: ptr(100), BudgetMinCents: ptr[int64](500), BudgetMaxCents: ptr[int64](700), TargetPriceCents: ptr[int64](500)},
			want:  100,
			parts: pts{"recency": 25, "frequency": 20, "source_quality": 15, "budget_fit": 15, "stage": 15, "responsiveness": 10},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ComputeScore(tc.in)
			if got.Value != tc.want {
				t.Errorf("score = %d, want %d (%+v)", got.Value, tc.want, got.Factors)
			}
			points, weights := pts{}, map[string]int{}
			for _, f := range got.Factors {
				points[f.Name], weights[f.Name] = f.Points, f.Weight
				if f.Detail == "" {
					t.Errorf("%s has no detail", f.Name)
				}
			}
			if !maps.Equal(points, tc.parts) {
				t.Errorf("points = %v, want %v", points, tc.parts)
			}
			if !maps.Equal(weights, wantWeights) {
				t.Errorf("weights = %v, want %v", weights, wantWeights)
			}
			if again := ComputeScore(tc.in); again.Value != got.Value || !maps.Equal(pointsOf(again), points) {
				t.Error("not deterministic")
			}
		})
	}
}

func pointsOf(s Score) map[string]int {
	out := map[string]int{}
	for _, f := range s.Factors {
		out[f.Name] = f.Points
	}
	return out
}
