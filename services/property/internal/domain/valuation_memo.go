package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RenderMemo writes the valuation memo (Markdown). It reads only its
// arguments, prints numbers from integers with fixed decimals and lists the
// comparables in their ranked order, so equal inputs give the same bytes
// (and the same SHA-256). It names no valuation id and no request time:
// two valuations of the same data as of the same day share one memo.
func RenderMemo(s ValuationSubject, asOf time.Time, r ValuationResult) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("# Automated valuation memo")
	line("")
	line("**%s**, %s", memoText(s.Address), memoText(memoPlace(s.City, s.State, s.PostalCode)))
	line("")
	line("- As of: %s", Day(asOf).Format(time.DateOnly))
	line("- Method: %s (comparable sales, price per square foot adjusted by the market index)", r.Method)
	line("- Property type: %s", memoText(s.Type))
	line("- Living area: %s sq ft; bedrooms: %s; bathrooms: %s; year built: %s",
		memoThousands(memoInt64(s.LivingArea)), memoInt(s.Beds), memoInt(s.Baths), memoInt(s.YearBuilt))
	line("")
	line("## Estimate")
	line("")
	line("| | |")
	line("|---|---|")
	line("| Estimate | %s |", memoMoney(r.EstimateCents))
	line("| Range | %s to %s |", memoMoney(r.LowCents), memoMoney(r.HighCents))
	line("| Confidence | %d / 100 |", r.Confidence)
	line("| Price per sq ft | %s |", memoMoney(r.PricePerSqftCents))
	line("| Comparables used | %d |", len(r.Comparables))
	line("")
	line("## Market")
	line("")
	line("Region %s, price index %s for %s. Each comparable's price per square foot is carried to %s by the index ratio (factor).",
		memoText(r.Market.Region), memoThousands(r.Market.Index), r.Market.Month, r.Market.Month)
	line("")
	line("## Comparables")
	line("")
	line("| # | Address | Distance | Living area | Beds | Baths | Built | Price | Source | Priced | $/sq ft | Factor | Adjusted $/sq ft | Similarity | Weight |")
	line("|---|---|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|")
	for i, c := range r.Comparables {
		line("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
			i+1, memoText(c.Address+", "+memoPlace(c.City, nil, c.PostalCode)), memoDistance(c, s), memoThousands(c.LivingArea),
			memoInt(c.Beds), memoInt(c.Baths), memoInt(c.YearBuilt), memoMoney(c.PriceCents), c.PriceSource, c.PriceMonth,
			memoMoney(c.PricePerSqftCents), memoFixed(c.IndexFactorBP, 4), memoMoney(c.AdjustedPricePerSqftCents),
			memoFixed(int64(c.Similarity), 3), memoFixed(c.WeightBP, 2)+" %")
	}
	line("")
	line("## How this was computed")
	line("")
	line("Comparables are the organisation's other properties of the same type, not archived, with a price and a living area,")
	line("priced in the %d months up to the as-of day and within %s km (or in the same postal code or city when coordinates",
		MaxCompAgeMonths, memoFixed(MaxCompDistanceMeters, 3))
	line("are missing). Each is scored per mille: location %d %%, size %d %%, bedrooms %d %%, bathrooms %d %%, age %d %%, recency %d %%;",
		weightLocation, weightSize, weightBeds, weightBaths, weightAge, weightRecency)
	line("the %d best scoring at least %s are used (ties: nearer, then lower id). The estimate is the similarity-weighted mean",
		MaxComparables, memoFixed(MinSimilarity, 3))
	line("adjusted price per square foot times the living area, rounded to $100; the range is plus or minus one weighted")
	line("standard deviation (at least %d %% of the estimate). Confidence: %d points for the number of comparables, %d for their",
		minRangePercent, 40, 30)
	line("mean similarity, %d for their agreement.", 30)
	return b.String()
}

func memoPlace(city string, state, postal *string) string {
	out := city
	if state != nil && *state != "" {
		out += ", " + *state
	}
	if postal != nil && *postal != "" {
		out += " " + *postal
	}
	return out
}

func memoDistance(c Comparable, s ValuationSubject) string {
	switch {
	case c.DistanceMeters != nil:
		return memoFixed(*c.DistanceMeters, 3) + " km"
	case s.PostalCode != nil && c.PostalCode != nil && *s.PostalCode == *c.PostalCode:
		return "same postal code"
	default:
		return "same city"
	}
}

// money prints cents as $1,234.56.
func memoMoney(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s$%s.%02d", sign, memoThousands(cents/100), cents%100)
}

// thousands prints n with comma separators.
func memoThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fixed prints n/10^decimals with exactly that many decimals (n ≥ 0).
func memoFixed(n int64, decimals int) string {
	p := int64(1)
	for range decimals {
		p *= 10
	}
	return fmt.Sprintf("%d.%0*d", n/p, decimals, n%p)
}

func memoInt(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

func memoInt64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// md escapes text for a Markdown table cell or paragraph.
var memoEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `|`, `\|`, `#`, `\#`)

func memoText(s string) string { return memoEscaper.Replace(s) }
