package domain

import (
	"math"
	"time"
)

// ScoreInput is everything the scoring model looks at. The caller gathers it
// (the activity counts cover the 30 days before Now).
type ScoreInput struct {
	Now            time.Time
	Status         string
	LastActivityAt *time.Time
	// Activities, Inbound and Outbound count activities in the last 30 days;
	// Inbound and Outbound only those with a direction.
	Activities, Inbound, Outbound int
	// SourceWeight is the lead source's quality (0–100); nil without a source.
	SourceWeight *int
	// Budget range of the lead and the price it is aiming at.
	BudgetMinCents, BudgetMaxCents, TargetPriceCents *int64
}

// Factor is one line of a score's explanation.
type Factor struct {
	Name   string `json:"name"`
	Weight int    `json:"weight"` // the most points the factor can give
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

// Score is a lead score with its explanation; Value is the sum of the
// factors' points.
type Score struct {
	Value   int      `json:"score"`
	Factors []Factor `json:"factors"`
}

// Weights of the scoring model; they sum to 100.
const (
	WeightRecency        = 25
	WeightFrequency      = 20
	WeightSource         = 15
	WeightBudgetFit      = 15
	WeightStage          = 15
	WeightResponsiveness = 10
)

// RecencyHalfLife is the half-life of the recency factor: a lead last active
// a week ago gets half the recency points.
const RecencyHalfLife = 7 * 24 * time.Hour

// FrequencyCap is the number of activities in 30 days that earns every
// frequency point.
const FrequencyCap = 10

// stageFactor is the share of the stage points each status earns.
var stageFactor = map[string]float64{
	StatusNew: 0.2, StatusContacted: 0.4, StatusNurturing: 0.5,
	StatusQualified: 0.8, StatusConverted: 1, StatusUnqualified: 0,
}

// ComputeScore is the lead scoring model: deterministic for the same input
// (the clock comes in as in.Now), transparent (every factor with its weight
// and points), 0–100. Each factor earns a share of its weight, rounded
// half away from zero; missing information earns nothing rather than a guess.
func ComputeScore(in ScoreInput) Score {
	var fs []Factor
	add := func(name string, weight int, share float64, detail string) {
		share = math.Max(0, math.Min(1, share))
		fs = append(fs, Factor{Name: name, Weight: weight, Points: int(math.Round(float64(weight) * share)), Detail: detail})
	}

	// Recency: halves every RecencyHalfLife since the last activity.
	if in.LastActivityAt == nil {
		add("recency", WeightRecency, 0, "no activity yet")
	} else {
		age := max(in.Now.Sub(*in.LastActivityAt), 0)
		days := age.Hours() / 24
		add("recency", WeightRecency, math.Pow(0.5, float64(age)/float64(RecencyHalfLife)),
			formatFloat(days)+" days since the last activity")
	}

	add("frequency", WeightFrequency, float64(in.Activities)/FrequencyCap,
		itoa(in.Activities)+" activities in the last 30 days")

	if in.SourceWeight == nil {
		add("source_quality", WeightSource, 0, "no lead source")
	} else {
		add("source_quality", WeightSource, float64(*in.SourceWeight)/100, "source weight "+itoa(*in.SourceWeight))
	}

	share, detail := budgetFit(in.BudgetMinCents, in.BudgetMaxCents, in.TargetPriceCents)
	add("budget_fit", WeightBudgetFit, share, detail)

	add("stage", WeightStage, stageFactor[in.Status], "status "+in.Status)

	directed := in.Inbound + in.Outbound
	if directed == 0 {
		add("responsiveness", WeightResponsiveness, 0, "no calls, emails or messages in the last 30 days")
	} else {
		add("responsiveness", WeightResponsiveness, float64(in.Inbound)/float64(directed),
			itoa(in.Inbound)+" inbound of "+itoa(directed)+" directed activities")
	}

	total := 0
	for _, f := range fs {
		total += f.Points
	}
	return Score{Value: min(max(total, 0), 100), Factors: fs}
}

// budgetFit: the target inside the budget range earns everything, within
// 10 % outside it half, further away nothing. A one-sided range is open on
// the other side.
func budgetFit(lo, hi, target *int64) (float64, string) {
	if target == nil || (lo == nil && hi == nil) {
		return 0, "budget or target price unknown"
	}
	t := float64(*target)
	minV, maxV := math.Inf(-1), math.Inf(1)
	if lo != nil {
		minV = float64(*lo)
	}
	if hi != nil {
		maxV = float64(*hi)
	}
	switch {
	case t >= minV && t <= maxV:
		return 1, "target price within budget"
	case t > maxV && t <= maxV*1.1, t < minV && t >= minV*0.9:
		return 0.5, "target price within 10% of budget"
	default:
		return 0, "target price outside budget"
	}
}
