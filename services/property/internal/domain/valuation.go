package domain

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
)

// Valuation statuses. A valuation is queued until its job records an
// outcome: completed (with a result) or failed (with a reason).
const (
	ValuationQueued    = "queued"
	ValuationCompleted = "completed"
	ValuationFailed    = "failed"
)

// Reasons a valuation failed. Only market_data_unavailable is not final: it
// is recorded when the job has used its last attempt, and replaying the
// dead-lettered job completes the valuation once the provider is back.
const (
	FailInsufficientComparables = "insufficient_comparables"
	FailSubjectIncomplete       = "subject_incomplete"
	FailMarketDataUnavailable   = "market_data_unavailable"
	FailOutOfRange              = "estimate_out_of_range"
)

// ValuationMethod names the computation and the memo layout. Change it with
// either: a memo hash is only comparable within one method.
const ValuationMethod = "reos-avm-1"

// The rules of the computation (documented in docs/architecture.md).
const (
	// MaxCompDistanceMeters bounds how far a comparable with coordinates
	// may be from a subject with coordinates.
	MaxCompDistanceMeters = 16_000
	// samePostalMeters and sameCityMeters stand in for the distance when
	// either side has no coordinates.
	samePostalMeters = 1_600
	sameCityMeters   = 8_000
	// MaxCompAgeMonths: a price older than this many months before the
	// as-of month is not comparable.
	MaxCompAgeMonths = 36
	// MinSimilarity is the per-mille similarity a comparable needs.
	MinSimilarity = 400
	// MaxComparables is how many of the most similar comparables are used.
	MaxComparables = 6
	// MinComparables is how many a valuation needs; with fewer it fails
	// (insufficient_comparables) rather than publish a guess.
	MinComparables = 3
	// MaxCandidates bounds the candidates read for one valuation.
	MaxCandidates = 200
	// minRangePercent is the least half-width of the range, as a percentage
	// of the estimate, so identical comparables never claim certainty.
	minRangePercent = 5
	// roundTo is the precision of estimate, low and high: $100, in cents.
	roundTo = 10_000
)

// Similarity weights (percent; they sum to 100).
const (
	weightLocation = 30
	weightSize     = 25
	weightBeds     = 10
	weightBaths    = 10
	weightAge      = 10
	weightRecency  = 15
)

// Price sources of a comparable, best first.
const (
	PriceClosedListing = "closed_listing" // the latest Closed listing of the property
	PriceClosed        = "closed"         // the property's own price while its status is Closed
	PriceList          = "list_price"     // the property's list price
)

// Valuation is an automated valuation of one property (PropertyValuation).
type Valuation struct {
	ID          string
	OrgID       string
	PropertyID  string
	Status      string
	RequestedBy *string
	RequestedAt time.Time
	// AsOf is the valuation date (midnight UTC): prices after it are not
	// used and the market index is read for its month.
	AsOf time.Time
	// JobID is the job that last worked on the valuation.
	JobID int64
	// CompletedAt is when the outcome (completed or failed) was recorded.
	CompletedAt    *time.Time
	Result         *ValuationResult
	FailureReason  *string
	FailureMessage *string
}

// NewValuation is a queued valuation of propertyID as of the day asOf.
func NewValuation(id, orgID, propertyID string, requestedBy *string, now, asOf time.Time) Valuation {
	return Valuation{ID: id, OrgID: orgID, PropertyID: propertyID, Status: ValuationQueued,
		RequestedBy: requestedBy, RequestedAt: now, AsOf: Day(asOf)}
}

// Final reports whether the valuation's outcome is recorded for good (its
// job's effect happened): completed, or failed for a reason no retry fixes.
func (v Valuation) Final() bool {
	return v.Status == ValuationCompleted ||
		(v.Status == ValuationFailed && v.FailureReason != nil && *v.FailureReason != FailMarketDataUnavailable)
}

// ValuationResult is what a completed valuation found.
type ValuationResult struct {
	Method        string
	EstimateCents int64
	LowCents      int64
	HighCents     int64
	// Confidence is 0–100: 40 points for the number of comparables, 30 for
	// their mean similarity and 30 for how little their prices disagree.
	Confidence int
	// PricePerSqftCents is the weighted mean adjusted price per square foot.
	PricePerSqftCents int64
	Market            MarketContext
	Comparables       []Comparable
	Memo              string
	MemoSHA256        string
}

// MarketContext is the market data a valuation used.
type MarketContext struct {
	Region string
	Month  Month
	// Index is the region's price index for Month.
	Index int64
}

// Comparable is a comparable property as a valuation used it.
type Comparable struct {
	PropertyID string
	Address    string
	City       string
	PostalCode *string
	// DistanceMeters is nil when either side has no coordinates (the
	// comparable matched by postal code or city instead).
	DistanceMeters *int64
	LivingArea     int64
	Beds, Baths    *int
	YearBuilt      *int
	PriceCents     int64
	PriceSource    string
	PriceMonth     Month
	// PricePerSqftCents is the price over the living area; the adjusted one
	// carries it to the as-of month with the market index
	// (IndexFactorBP/10000).
	PricePerSqftCents         int64
	IndexFactorBP             int64
	AdjustedPricePerSqftCents int64
	// Similarity is per mille (0–1000); WeightBP is the comparable's share
	// of the estimate in basis points.
	Similarity int
	WeightBP   int64
}

// ValuationSubject is the property being valued, as the computation sees it.
type ValuationSubject struct {
	ID         string
	Address    string
	City       string
	State      *string
	PostalCode *string
	Type       string
	LivingArea *int64
	Beds       *int
	Baths      *int
	YearBuilt  *int
	Latitude   *float64
	Longitude  *float64
}

// SubjectOf is p as a valuation subject.
func SubjectOf(p Property) ValuationSubject {
	return ValuationSubject{ID: p.ID, Address: p.UnparsedAddress, City: p.City, State: p.StateOrProvince,
		PostalCode: p.PostalCode, Type: p.PropertyType, LivingArea: p.LivingArea, Beds: p.BedroomsTotal,
		Baths: p.BathroomsTotalInteger, YearBuilt: p.YearBuilt, Latitude: p.Latitude, Longitude: p.Longitude}
}

// Region is the market the subject is in: its postal code, or its city
// (lower case) when it has none.
func (s ValuationSubject) Region() string {
	if s.PostalCode != nil && *s.PostalCode != "" {
		return *s.PostalCode
	}
	return strings.ToLower(s.City)
}

// CompCandidate is a property that may serve as a comparable, with the price
// it is compared by and when that price was set.
type CompCandidate struct {
	ID          string
	Address     string
	City        string
	PostalCode  *string
	LivingArea  int64
	Beds        *int
	Baths       *int
	YearBuilt   *int
	Latitude    *float64
	Longitude   *float64
	PriceCents  int64
	PriceSource string
	PricedAt    time.Time
}

// CompSearch is what the store needs to find a subject's candidates.
type CompSearch struct {
	SubjectID  string
	Type       string
	PostalCode *string
	CityKey    string
	// Box is set when the subject has coordinates: candidates with
	// coordinates must lie inside it.
	Box *GeoBox
	// Latitude and Longitude order the candidates nearest first.
	Latitude, Longitude *float64
	// PricedFrom (inclusive) and PricedBefore (exclusive) bound the price date.
	PricedFrom, PricedBefore time.Time
	Limit                    int
}

// GeoBox is a latitude/longitude box in degrees.
type GeoBox struct{ MinLat, MaxLat, MinLon, MaxLon float64 }

// CompSearchFor is the candidate search of subject valued as of asOf.
func CompSearchFor(s ValuationSubject, asOf time.Time) CompSearch {
	asOf = Day(asOf)
	q := CompSearch{SubjectID: s.ID, Type: s.Type, PostalCode: s.PostalCode, CityKey: strings.ToLower(s.City),
		PricedFrom: MonthOf(asOf).Add(-MaxCompAgeMonths).Start(), PricedBefore: asOf.AddDate(0, 0, 1), Limit: MaxCandidates}
	if s.Latitude != nil && s.Longitude != nil {
		lat, lon := *s.Latitude, *s.Longitude
		dLat := MaxCompDistanceMeters / metersPerDegree
		dLon := 180.0 // near a pole every longitude is close
		if c := math.Cos(lat * math.Pi / 180); c > 0.01 {
			dLon = min(180, dLat/c)
		}
		q.Box = &GeoBox{MinLat: lat - dLat, MaxLat: lat + dLat, MinLon: lon - dLon, MaxLon: lon + dLon}
		q.Latitude, q.Longitude = s.Latitude, s.Longitude
	}
	return q
}

const (
	earthRadiusMeters = 6_371_008.8
	metersPerDegree   = earthRadiusMeters * math.Pi / 180
)

// Month is a calendar month, counted from year 0 (year·12 + month − 1).
type Month int

// MonthOf is the month of t in UTC.
func MonthOf(t time.Time) Month {
	t = t.UTC()
	return Month(t.Year()*12 + int(t.Month()) - 1)
}

// Add is m moved by n months.
func (m Month) Add(n int) Month { return m + Month(n) }

// Start is midnight UTC of the month's first day.
func (m Month) Start() time.Time {
	return time.Date(int(m)/12, time.Month(int(m)%12+1), 1, 0, 0, 0, 0, time.UTC)
}

// String is YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", int(m)/12, int(m)%12+1) }

// ParseMonth reads YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return 0, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return MonthOf(t), nil
}

// Day is midnight UTC of t's day.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// PriceIndex is a market's monthly price-per-square-foot index, one value
// per month from From; only ratios of its values matter.
type PriceIndex struct {
	Region string
	From   Month
	Values []int64
}

// At is the index of month m.
func (x PriceIndex) At(m Month) (int64, bool) {
	i := int(m - x.From)
	if i < 0 || i >= len(x.Values) || x.Values[i] <= 0 {
		return 0, false
	}
	return x.Values[i], true
}

// IndexWindow is the months of the market index a valuation of candidates
// as of asOf needs: from the oldest candidate price through the as-of month.
func IndexWindow(asOf time.Time, candidates []CompCandidate) (from, to Month) {
	to = MonthOf(asOf)
	from = to
	for _, c := range candidates {
		if m := MonthOf(c.PricedAt); m < from && m >= to.Add(-MaxCompAgeMonths) {
			from = m
		}
	}
	return from, to
}

// ValuationInput is everything a valuation depends on; equal inputs give an
// equal result, memo bytes included.
type ValuationInput struct {
	Subject    ValuationSubject
	AsOf       time.Time
	Candidates []CompCandidate
	Index      PriceIndex
}

// ValuationFailure is a valuation that cannot be computed from its inputs;
// retrying with the same inputs fails the same way.
type ValuationFailure struct {
	Reason  string
	Message string
}

func (f *ValuationFailure) Error() string { return "valuation failed: " + f.Reason + ": " + f.Message }

// Appraise computes the valuation of in. It returns a *ValuationFailure when
// the inputs do not allow one (no living area, too few comparables), and
// another error when the market index lacks a month it needs.
//
// Each candidate within reach (MaxCompDistanceMeters, or the same postal
// code or city when coordinates are missing), of the subject's type and
// priced in the MaxCompAgeMonths before the as-of day is scored per mille
// on location, size, bedrooms, bathrooms, age and recency; the
// MaxComparables best with at least MinSimilarity are used (ties: nearer,
// then lower id). Their prices per square foot are carried to the as-of
// month by the market index; the estimate is the similarity-weighted mean
// of those times the subject's living area, the range ± the weighted
// standard deviation (at least minRangePercent of the estimate). Everything
// after the distance is integer arithmetic, so the result cannot wobble.
func Appraise(in ValuationInput) (ValuationResult, error) {
	s := in.Subject
	if s.LivingArea == nil || *s.LivingArea <= 0 {
		return ValuationResult{}, &ValuationFailure{Reason: FailSubjectIncomplete, Message: "the property has no living_area"}
	}
	asOf := Day(in.AsOf)
	asOfMonth := MonthOf(asOf)
	asOfIndex, ok := in.Index.At(asOfMonth)
	if !ok {
		return ValuationResult{}, fmt.Errorf("market index of %q has no value for %s", in.Index.Region, asOfMonth)
	}
	var comps []Comparable
	for _, c := range in.Candidates {
		comp, ok, err := score(s, c, asOf, in.Index, asOfIndex)
		if err != nil {
			return ValuationResult{}, err
		}
		if ok {
			comps = append(comps, comp)
		}
	}
	slices.SortFunc(comps, func(a, b Comparable) int {
		if c := cmp.Compare(b.Similarity, a.Similarity); c != 0 {
			return c
		}
		if c := cmp.Compare(distanceOrder(a), distanceOrder(b)); c != 0 {
			return c
		}
		return strings.Compare(a.PropertyID, b.PropertyID)
	})
	comps = comps[:min(len(comps), MaxComparables)]
	if len(comps) < MinComparables {
		return ValuationResult{}, &ValuationFailure{Reason: FailInsufficientComparables,
			Message: fmt.Sprintf("%d comparable properties found, at least %d are needed", len(comps), MinComparables)}
	}

	// Weighted mean and standard deviation of the adjusted price per square
	// foot, exactly: with W = Σw, S = Σw·p and Q = Σw·p², the mean is S/W
	// and the variance (W·Q − S²)/W².
	W, S, Q, simSum := new(big.Int), new(big.Int), new(big.Int), 0
	for _, c := range comps {
		w, p := big.NewInt(int64(c.Similarity)), big.NewInt(c.AdjustedPricePerSqftCents)
		W.Add(W, w)
		wp := new(big.Int).Mul(w, p)
		S.Add(S, wp)
		Q.Add(Q, wp.Mul(wp, p))
		simSum += c.Similarity
	}
	for i := range comps {
		comps[i].WeightBP = divRound(new(big.Int).Mul(big.NewInt(int64(comps[i].Similarity)), big.NewInt(10_000)), W)
	}
	area := big.NewInt(*s.LivingArea)
	estimateBig := new(big.Int).Mul(S, area)
	if new(big.Int).Quo(estimateBig, W).Cmp(big.NewInt(MaxPriceCents)) > 0 {
		return ValuationResult{}, &ValuationFailure{Reason: FailOutOfRange, Message: "the estimate exceeds the largest price a property may have"}
	}
	ppsf := divRound(S, W)
	estimate := divRound(estimateBig, W)
	variance := new(big.Int).Sub(new(big.Int).Mul(W, Q), new(big.Int).Mul(S, S))
	sd := new(big.Int).Div(new(big.Int).Sqrt(variance), W).Int64() // cents per sq ft, rounded down
	half := max(min(sd, ppsf)*(*s.LivingArea), estimate*minRangePercent/100)
	low, high := max(0, estimate-half), estimate+half

	confidence := 40*len(comps)/MaxComparables + 30*simSum/len(comps)/1000
	if ppsf > 0 {
		confidence += int(max(0, 30-120*sd/ppsf)) // 30·(1 − cv/25 %)
	}
	r := ValuationResult{
		Method:            ValuationMethod,
		EstimateCents:     roundCents(estimate),
		LowCents:          roundCents(low),
		HighCents:         roundCents(high),
		Confidence:        min(100, confidence),
		PricePerSqftCents: ppsf,
		Market:            MarketContext{Region: in.Index.Region, Month: asOfMonth, Index: asOfIndex},
		Comparables:       comps,
	}
	r.Memo = RenderMemo(s, asOf, r)
	sum := sha256.Sum256([]byte(r.Memo))
	r.MemoSHA256 = hex.EncodeToString(sum[:])
	return r, nil
}

// score rates candidate c against subject s; ok is false when c is not
// comparable at all.
func score(s ValuationSubject, c CompCandidate, asOf time.Time, index PriceIndex, asOfIndex int64) (Comparable, bool, error) {
	if c.ID == s.ID || c.LivingArea <= 0 || c.PriceCents <= 0 {
		return Comparable{}, false, nil
	}
	priced := c.PricedAt.UTC()
	age := int(MonthOf(asOf) - MonthOf(priced))
	if !priced.Before(asOf.AddDate(0, 0, 1)) || age > MaxCompAgeMonths {
		return Comparable{}, false, nil
	}
	var dist *int64
	var locMeters int64
	switch {
	case s.Latitude != nil && s.Longitude != nil && c.Latitude != nil && c.Longitude != nil:
		d := int64(math.Round(haversineMeters(*s.Latitude, *s.Longitude, *c.Latitude, *c.Longitude)))
		if d > MaxCompDistanceMeters {
			return Comparable{}, false, nil
		}
		dist, locMeters = &d, d
	case s.PostalCode != nil && c.PostalCode != nil && *s.PostalCode == *c.PostalCode:
		locMeters = samePostalMeters
	case strings.EqualFold(s.City, c.City):
		locMeters = sameCityMeters
	default:
		return Comparable{}, false, nil
	}
	monthIndex, ok := index.At(MonthOf(priced))
	if !ok {
		return Comparable{}, false, fmt.Errorf("market index of %q has no value for %s", index.Region, MonthOf(priced))
	}

	area := *s.LivingArea
	sLoc := perMille(locMeters, MaxCompDistanceMeters)
	sSize := perMille(absInt64(c.LivingArea-area)*2, area) // 50 % larger or smaller scores 0
	sBeds := intScore(s.Beds, c.Beds, 3)
	sBaths := intScore(s.Baths, c.Baths, 3)
	sAge := intScore(s.YearBuilt, c.YearBuilt, 40)
	sRecency := perMille(int64(age), MaxCompAgeMonths)
	sim := (weightLocation*sLoc + weightSize*sSize + weightBeds*sBeds + weightBaths*sBaths +
		weightAge*sAge + weightRecency*sRecency) / 100
	if sim < MinSimilarity {
		return Comparable{}, false, nil
	}
	return Comparable{
		PropertyID: c.ID, Address: c.Address, City: c.City, PostalCode: c.PostalCode, DistanceMeters: dist,
		LivingArea: c.LivingArea, Beds: c.Beds, Baths: c.Baths, YearBuilt: c.YearBuilt,
		PriceCents: c.PriceCents, PriceSource: c.PriceSource, PriceMonth: MonthOf(priced),
		PricePerSqftCents:         mulDivRound(c.PriceCents, 1, c.LivingArea),
		IndexFactorBP:             mulDivRound(asOfIndex, 10_000, monthIndex),
		AdjustedPricePerSqftCents: mulDivRound(c.PriceCents, asOfIndex, c.LivingArea*monthIndex),
		Similarity:                sim,
	}, true, nil
}

// distanceOrder sorts by distance, a postal-code or city match counting as
// its stand-in distance.
func distanceOrder(c Comparable) int64 {
	if c.DistanceMeters != nil {
		return *c.DistanceMeters
	}
	return MaxCompDistanceMeters + 1
}

// perMille is 1000·(1 − x/scale), at least 0.
func perMille(x, scale int64) int {
	if x >= scale {
		return 0
	}
	return int(1000 - x*1000/scale)
}

// intScore scores the difference of two optional integers; unknown on
// either side is neutral (500).
func intScore(a, b *int, scale int64) int {
	if a == nil || b == nil {
		return 500
	}
	return perMille(absInt64(int64(*a-*b)), scale)
}

func absInt64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func haversineMeters(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusMeters * math.Asin(math.Min(1, math.Sqrt(h)))
}

// mulDivRound is a·b/c rounded half up (a, b ≥ 0, c > 0), exact.
func mulDivRound(a, b, c int64) int64 {
	return divRound(new(big.Int).Mul(big.NewInt(a), big.NewInt(b)), big.NewInt(c))
}

// divRound is n/d rounded half up (n ≥ 0, d > 0).
func divRound(n, d *big.Int) int64 {
	q := new(big.Int).Add(new(big.Int).Mul(n, big.NewInt(2)), d)
	return q.Div(q, new(big.Int).Mul(d, big.NewInt(2))).Int64()
}

// roundCents rounds to roundTo, half up.
func roundCents(c int64) int64 { return (c + roundTo/2) / roundTo * roundTo }

// ErrValuationNotFound answers for a valuation that does not exist, is
// another property's or another organisation's.
func ErrValuationNotFound() error {
	return apperr.NotFound(ReasonValuationNotFound, "no such valuation")
}

// ErrValuationNotCompleted answers for the memo of a valuation that has none.
func ErrValuationNotCompleted(status string) error {
	return apperr.Conflict(ReasonValuationNotCompleted, "the valuation is "+status+"; a memo exists once it has completed")
}

// Reasons of valuation errors.
const (
	ReasonValuationNotFound     = "valuation_not_found"
	ReasonValuationNotCompleted = "valuation_not_completed"
)

// CheckValuable refuses a valuation request the computation could never
// complete: the subject needs a living area.
func CheckValuable(p Property) error {
	if p.LivingArea == nil || *p.LivingArea <= 0 {
		return apperr.Invalid("living_area", "the property needs a living_area (square feet) to be valued; set it first")
	}
	return nil
}

// CheckAsOf validates a requested valuation date: a day from 2000-01-01 up
// to today.
func CheckAsOf(asOf, today time.Time) error {
	if asOf.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) || asOf.After(Day(today)) {
		return apperr.Invalid("as_of", "must be a date (YYYY-MM-DD) from 2000-01-01 up to today")
	}
	return nil
}
