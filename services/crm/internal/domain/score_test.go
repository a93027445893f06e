package domain

import (
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestComputeScoreKnownInputs(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type pts map[string]int
	tests := []struct {
		name  string
		in    ScoreInput
		want  int
		parts pts
	}{
		{
			name: "brand new lead without information",
			in:   ScoreInput{Now: now, Status: StatusNew},
			want: 3, parts: pts{"recency": 0, "frequency": 0, "source_quality": 0, "budget_fit": 0, "stage": 3, "responsiveness": 0},
		},
		{
			name: "hot referral active today",
			in: ScoreInput{Now: now, Status: StatusQualified, LastActivityAt: ptr(now), Activities: 10, Inbound: 6, Outbound: 4,
				SourceWeight: ptr(90), BudgetMinCents: ptr[int64](500), BudgetMaxCents: ptr[int64](700), TargetPriceCents: ptr[int64](600)},
			want:  25 + 20 + 14 + 15 + 12 + 6,
			parts: pts{"recency": 25, "frequency": 20, "source_quality": 14, "budget_fit": 15, "stage": 12, "responsiveness": 6},
		},
		{
			name: "a week quiet halves recency, target 5% over budget earns half",
			in: ScoreInput{Now: now, Status: StatusContacted, LastActivityAt: ptr(now.Add(-7 * 24 * time.Hour)), Activities: 3, Inbound: 1, Outbound: 2,
				SourceWeight: ptr(20), BudgetMaxCents: ptr[int64](1000), TargetPriceCents: ptr[int64](1050)},
			want:  13 + 6 + 3 + 8 + 6 + 3,
			parts: pts{"recency": 13, "frequency": 6, "source_quality": 3, "budget_fit": 8, "stage": 6, "responsiveness": 3},
		},
		{
			name: "unqualified, target far outside budget, more than the cap of activities",
			in: ScoreInput{Now: now, Status: StatusUnqualified, LastActivityAt: ptr(now.Add(-70 * 24 * time.Hour)), Activities: 25, Outbound: 25,
				SourceWeight: ptr(0), BudgetMinCents: ptr[int64](1000), TargetPriceCents: ptr[int64](100)},
			want:  0 + 20 + 0 + 0 + 0 + 0,
			parts: pts{"recency": 0, "frequency": 20, "source_quality": 0, "budget_fit": 0, "stage": 0, "responsiveness": 0},
		},
		{
			name:  "activity dated in the future counts as now",
			in:    ScoreInput{Now: now, Status: StatusConverted, LastActivityAt: ptr(now.Add(time.Hour)), Activities: 1, Inbound: 1},
			want:  25 + 2 + 0 + 0 + 15 + 10,
			parts: pts{"recency": 25, "frequency": 2, "source_quality": 0, "budget_fit": 0, "stage": 15, "responsiveness": 10},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ComputeScore(tc.in)
			if got.Value != tc.want {
				t.Errorf("score = %d, want %d (%+v)", got.Value, tc.want, got.Factors)
			}
			if len(got.Factors) != 6 {
				t.Fatalf("factors = %+v", got.Factors)
			}
			sumW := 0
			for _, f := range got.Factors {
				sumW += f.Weight
				if want, ok := tc.parts[f.Name]; !ok || want != f.Points {
					t.Errorf("%s = %d points, want %d (%s)", f.Name, f.Points, want, f.Detail)
				}
			}
			if sumW != 100 {
				t.Errorf("weights sum to %d", sumW)
			}
			if again := ComputeScore(tc.in); again.Value != got.Value || again.Factors[0] != got.Factors[0] {
				t.Error("not deterministic")
			}
		})
	}
}
