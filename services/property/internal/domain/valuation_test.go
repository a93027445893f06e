package domain

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func ref[T any](v T) *T { return &v }

var asOf = time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)

// subject is a 2,000 sq ft, 3 bed, 2 bath house built in 2000 in Austin.
func subject() ValuationSubject {
	return ValuationSubject{ID: "s", Address: "1 Subject St", City: "Austin", State: ref("TX"), PostalCode: ref("78701"),
		Type: "Residential", LivingArea: ref[int64](2000), Beds: ref(3), Baths: ref(2), YearBuilt: ref(2000),
		Latitude: ref(30.0), Longitude: ref(-97.0)}
}

// twin is a candidate identical to the subject but for its price: same
// place, size, rooms and age, priced in the as-of month (similarity 1000).
func twin(id string, priceCents int64) CompCandidate {
	return CompCandidate{ID: id, Address: id + " Twin St", City: "Austin", PostalCode: ref("78701"), LivingArea: 2000,
		Beds: ref(3), Baths: ref(2), YearBuilt: ref(2000), Latitude: ref(30.0), Longitude: ref(-97.0),
		PriceCents: priceCents, PriceSource: PriceList, PricedAt: asOf.Add(-time.Hour * 24 * 3)}
}

// flatIndex is 10 000 for every month a valuation as of asOf can use.
func flatIndex() PriceIndex {
	from := MonthOf(asOf).Add(-MaxCompAgeMonths)
	vals := make([]int64, MaxCompAgeMonths+1)
	for i := range vals {
		vals[i] = 10_000
	}
	return PriceIndex{Region: "78701", From: from, Values: vals}
}

func TestAppraiseKnownInputsGiveKnownEstimate(t *testing.T) {
	t.Parallel()
	// Four identical twins at $400k, $420k, $440k and $460k: $200, $210,
	// $220 and $230 a sq ft, equal weights. Mean $215 × 2,000 = $430,000.
	// Weighted variance ((2·5² + 2·15²)·100²)/4 = 1,250,000 (cents²), so the
	// standard deviation is 1,118 cents: ±$22,360, more than 5 % ($21,500).
	// Confidence: 40·4/6 = 26, similarity 30, agreement 30 − 120·1118/21500 = 24.
	in := ValuationInput{Subject: subject(), AsOf: asOf, Index: flatIndex(), Candidates: []CompCandidate{
		twin("c1", 40_000_000), twin("c2", 42_000_000), twin("c3", 44_000_000), twin("c4", 46_000_000),
	}}
	r, err := Appraise(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.EstimateCents != 43_000_000 || r.LowCents != 40_760_000 || r.HighCents != 45_240_000 {
		t.Errorf("estimate %d [%d, %d], want 43000000 [40760000, 45240000]", r.EstimateCents, r.LowCents, r.HighCents)
	}
	if r.PricePerSqftCents != 21_500 || r.Confidence != 80 || r.Method != ValuationMethod {
		t.Errorf("ppsf %d confidence %d method %s, want 21500, 80, %s", r.PricePerSqftCents, r.Confidence, r.Method, ValuationMethod)
	}
	if r.Market != (MarketContext{Region: "78701", Month: MonthOf(asOf), Index: 10_000}) {
		t.Errorf("market %+v", r.Market)
	}
	for _, c := range r.Comparables {
		if c.Similarity != 1000 || c.WeightBP != 2500 || c.IndexFactorBP != 10_000 || *c.DistanceMeters != 0 {
			t.Errorf("comparable %+v, want similarity 1000, weight 25 %%, factor 1, distance 0", c)
		}
	}
}

func TestAppraiseCarriesPricesToTheAsOfMonthByTheIndex(t *testing.T) {
	t.Parallel()
	idx := flatIndex()
	old := MonthOf(asOf).Add(-12)
	idx.Values[old-idx.From] = 8_000 // a year ago the market was 20 % cheaper
	idx.Values[len(idx.Values)-1] = 11_000
	c := twin("old", 40_000_000)
	c.PricedAt = old.Start().Add(48 * time.Hour)
	r, err := Appraise(ValuationInput{Subject: subject(), AsOf: asOf, Index: idx, Candidates: []CompCandidate{
		c, twin("n1", 44_000_000), twin("n2", 44_000_000),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Comparables[2] // twins score 1000; the old one loses recency points
	// $200/sq ft × 11000/8000 = $275/sq ft; factor 1.375.
	if got.PropertyID != "old" || got.PricePerSqftCents != 20_000 || got.IndexFactorBP != 13_750 || got.AdjustedPricePerSqftCents != 27_500 {
		t.Fatalf("old comparable %+v", got)
	}
	// Priced in the as-of month: factor 1.
	if c := r.Comparables[0]; c.AdjustedPricePerSqftCents != 22_000 || c.IndexFactorBP != 10_000 {
		t.Errorf("new comparable adjusted %d (factor %d), want 22000 (10000)", c.AdjustedPricePerSqftCents, c.IndexFactorBP)
	}
	// Recency: 12 of 36 months gone → 667 per mille, 15 % of the score.
	if want := (30*1000 + 25*1000 + 10*1000 + 10*1000 + 10*1000 + 15*667) / 100; got.Similarity != want {
		t.Errorf("old similarity %d, want %d", got.Similarity, want)
	}
}

func TestAppraiseRanksAndBreaksTiesStably(t *testing.T) {
	t.Parallel()
	s := subject()
	var cands []CompCandidate
	// Eight equal twins: only the ids differ. Then nearer ones of equal
	// score would come first; here all are at distance 0, so ids decide.
	for _, id := range []string{"h", "b", "f", "a", "g", "c", "e", "d"} {
		cands = append(cands, twin(id, 44_000_000))
	}
	// A larger house (2,400 sq ft: size score 600) scores lower.
	big := twin("0-big", 52_800_000)
	big.LivingArea = 2400
	cands = append(cands, big)
	r, err := Appraise(ValuationInput{Subject: s, AsOf: asOf, Index: flatIndex(), Candidates: cands})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range r.Comparables {
		order = append(order, c.PropertyID)
	}
	if want := []string{"a", "b", "c", "d", "e", "f"}; !slices.Equal(order, want) {
		t.Fatalf("comparables %v, want the %d best by id %v", order, MaxComparables, want)
	}

	// At equal score the nearer comes first, whatever the ids: ~100 m and
	// ~105 m both score 994 for location (998 in all).
	near, far := twin("z-near", 44_000_000), twin("a-far", 44_000_000)
	near.Latitude = ref(30.0009)
	far.Latitude = ref(30.00094)
	r, err = Appraise(ValuationInput{Subject: s, AsOf: asOf, Index: flatIndex(), Candidates: []CompCandidate{
		far, near, twin("m", 44_000_000),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Comparables[0].PropertyID != "m" || r.Comparables[1].PropertyID != "z-near" || r.Comparables[2].PropertyID != "a-far" {
		t.Fatalf("order %s %s %s, want m, z-near, a-far", r.Comparables[0].PropertyID, r.Comparables[1].PropertyID, r.Comparables[2].PropertyID)
	}
	if r.Comparables[1].Similarity != r.Comparables[2].Similarity || r.Comparables[1].Similarity != 998 {
		t.Errorf("similarities %d and %d, want both 998", r.Comparables[1].Similarity, r.Comparables[2].Similarity)
	}
	if d := *r.Comparables[1].DistanceMeters; d < 95 || d > 105 {
		t.Errorf("distance of 0.0009° latitude = %d m, want ~100", d)
	}
}

func TestAppraiseIsDeterministicAndIgnoresInputOrder(t *testing.T) {
	t.Parallel()
	var cands []CompCandidate
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		c := twin(string(rune('a'+i)), int64(35_000_000+rng.IntN(15_000_000)))
		c.LivingArea = int64(1700 + rng.IntN(600))
		c.Latitude = ref(30.0 + float64(rng.IntN(200)-100)/2000)
		c.Beds = ref(2 + rng.IntN(3))
		c.PricedAt = asOf.AddDate(0, -rng.IntN(30), -rng.IntN(20))
		cands = append(cands, c)
	}
	in := ValuationInput{Subject: subject(), AsOf: asOf, Index: flatIndex(), Candidates: cands}
	first, err := Appraise(in)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		shuffled := slices.Clone(cands)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again, err := Appraise(ValuationInput{Subject: subject(), AsOf: asOf, Index: flatIndex(), Candidates: shuffled})
		if err != nil {
			t.Fatal(err)
		}
		if again.Memo != first.Memo || again.MemoSHA256 != first.MemoSHA256 || again.EstimateCents != first.EstimateCents {
			t.Fatalf("same inputs in another order gave another valuation:\n%s\n---\n%s", first.Memo, again.Memo)
		}
	}

	// A changed price of a comparable that is used changes the memo.
	used := first.Comparables[0].PropertyID
	changed := slices.Clone(cands)
	for i := range changed {
		if changed[i].ID == used {
			changed[i].PriceCents += 100_000
		}
	}
	other, err := Appraise(ValuationInput{Subject: subject(), AsOf: asOf, Index: flatIndex(), Candidates: changed})
	if err != nil {
		t.Fatal(err)
	}
	if other.MemoSHA256 == first.MemoSHA256 || other.Memo == first.Memo {
		t.Fatal("a comparable's new price left the memo unchanged")
	}
}

func TestAppraiseSkipsWhatIsNotComparable(t *testing.T) {
	t.Parallel()
	self := twin("s", 44_000_000) // the subject itself
	future := twin("future", 44_000_000)
	future.PricedAt = asOf.AddDate(0, 0, 1)
	stale := twin("stale", 44_000_000)
	stale.PricedAt = MonthOf(asOf).Add(-MaxCompAgeMonths - 1).Start()
	far := twin("far", 44_000_000)
	far.Latitude = ref(30.2) // ~22 km
	elsewhere := twin("elsewhere", 44_000_000)
	elsewhere.Latitude, elsewhere.Longitude, elsewhere.City, elsewhere.PostalCode = nil, nil, "Dallas", ref("75201")
	noArea := twin("no-area", 44_000_000)
	noArea.LivingArea = 0
	unlike := twin("unlike", 44_000_000) // double the size, no rooms alike, old
	unlike.LivingArea, unlike.Beds, unlike.Baths, unlike.YearBuilt = 4000, ref(7), ref(6), ref(1900)
	unlike.PricedAt = asOf.AddDate(-2, -10, 0)
	samePostal := twin("same-postal", 44_000_000)
	samePostal.Latitude, samePostal.Longitude = nil, nil
	sameCity := twin("same-city", 44_000_000)
	sameCity.Latitude, sameCity.Longitude, sameCity.PostalCode = nil, nil, ref("78702")

	r, err := Appraise(ValuationInput{Subject: subject(), AsOf: asOf, Index: flatIndex(), Candidates: []CompCandidate{
		self, future, stale, far, elsewhere, noArea, unlike, samePostal, sameCity, twin("ok", 44_000_000),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range r.Comparables {
		got = append(got, c.PropertyID)
	}
	if want := []string{"ok", "same-postal", "same-city"}; !slices.Equal(got, want) {
		t.Fatalf("comparables %v, want %v", got, want)
	}
	if !strings.Contains(r.Memo, "same postal code") || !strings.Contains(r.Memo, "same city") {
		t.Errorf("memo does not say how coordinate-less comparables matched:\n%s", r.Memo)
	}
}

func TestAppraiseFailures(t *testing.T) {
	t.Parallel()
	var f *ValuationFailure
	_, err := Appraise(ValuationInput{Subject: subject(), AsOf: asOf, Index: flatIndex(), Candidates: []CompCandidate{
		twin("a", 1), twin("b", 2),
	}})
	if !errors.As(err, &f) || f.Reason != FailInsufficientComparables {
		t.Errorf("two comparables: %v, want %s", err, FailInsufficientComparables)
	}
	s := subject()
	s.LivingArea = nil
	if _, err := Appraise(ValuationInput{Subject: s, AsOf: asOf, Index: flatIndex()}); !errors.As(err, &f) || f.Reason != FailSubjectIncomplete {
		t.Errorf("no living area: %v, want %s", err, FailSubjectIncomplete)
	}
	// An index without the as-of month is the provider's fault, not a
	// valuation failure: the job retries it.
	short := flatIndex()
	short.Values = short.Values[:3]
	_, err = Appraise(ValuationInput{Subject: subject(), AsOf: asOf, Index: short, Candidates: []CompCandidate{twin("a", 1)}})
	if err == nil || errors.As(err, &f) {
		t.Errorf("short index: %v, want a plain error", err)
	}
}

func TestMemoFormatsMoneyAndEscapesText(t *testing.T) {
	t.Parallel()
	s := subject()
	s.Address = "12 *Bold* | Pipe St"
	r, err := Appraise(ValuationInput{Subject: s, AsOf: asOf, Index: flatIndex(), Candidates: []CompCandidate{
		twin("a", 123_456_789), twin("b", 123_456_789), twin("c", 123_456_789),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`**12 \*Bold\* \| Pipe St**, Austin, TX 78701`,
		"- As of: 2026-03-14",
		"| Estimate | $1,234,600.00 |", // $617.28/sq ft × 2,000, rounded to $100
		"| a | a Twin St, Austin 78701 | 0.000 km |",
		"| Confidence | 80 / 100 |", // 40·3/6 + 30 + 30
	} {
		if !strings.Contains(r.Memo, strings.Replace(want, "| a |", "| 1 |", 1)) {
			t.Errorf("memo lacks %q:\n%s", want, r.Memo)
		}
	}
	if strings.Contains(r.Memo, "%!") {
		t.Errorf("memo has a formatting error:\n%s", r.Memo)
	}
}

func TestMonthAndWindow(t *testing.T) {
	t.Parallel()
	m := MonthOf(time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC))
	if m.String() != "2025-12" || m.Add(1).String() != "2026-01" || !m.Add(1).Start().Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("month %s, next %s, start %s", m, m.Add(1), m.Add(1).Start())
	}
	if p, err := ParseMonth("2026-01"); err != nil || p != m.Add(1) {
		t.Errorf("ParseMonth = %v, %v", p, err)
	}
	if _, err := ParseMonth("2026-13"); err == nil {
		t.Error("ParseMonth accepted month 13")
	}
	old := twin("o", 1)
	old.PricedAt = time.Date(2025, 1, 9, 0, 0, 0, 0, time.UTC)
	from, to := IndexWindow(asOf, []CompCandidate{twin("n", 1), old})
	if from.String() != "2025-01" || to.String() != "2026-03" {
		t.Errorf("window %s..%s, want 2025-01..2026-03", from, to)
	}
	q := CompSearchFor(subject(), asOf.Add(15*time.Hour))
	if !q.PricedBefore.Equal(asOf.AddDate(0, 0, 1)) || q.PricedFrom.Format(time.DateOnly) != "2023-03-01" || q.Box == nil ||
		q.Box.MinLat >= 30 || q.Box.MaxLat <= 30 || q.Box.MaxLat-q.Box.MinLat > 0.3 {
		t.Errorf("search %+v box %+v", q, q.Box)
	}
}

func TestCheckAsOfAndValuable(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 3, 14, 18, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		day string
		ok  bool
	}{{"2026-03-14", true}, {"2000-01-01", true}, {"2026-03-15", false}, {"1999-12-31", false}} {
		d, _ := time.Parse(time.DateOnly, c.day)
		if err := CheckAsOf(d, today); (err == nil) != c.ok {
			t.Errorf("CheckAsOf(%s) = %v", c.day, err)
		}
	}
	if err := CheckValuable(Property{}); err == nil || !strings.Contains(err.Error(), "living_area") {
		t.Errorf("CheckValuable without living area = %v", err)
	}
}
