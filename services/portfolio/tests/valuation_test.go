package tests

import (
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"reos.dev/pkg/events"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
	"reos.dev/services/portfolio/internal/app"
	"reos.dev/services/portfolio/internal/domain"
	"reos.dev/services/portfolio/internal/server"
)

type valuationJSON struct {
	MarkedValueCents int64 `json:"marked_value_cents"`
	MarkedCount      int   `json:"marked_count"`
	UnmarkedCount    int   `json:"unmarked_count"`
	Holdings         []struct {
		HoldingID  string `json:"holding_id"`
		PropertyID string `json:"property_id"`
		Mark       *struct {
			ValuationID string `json:"valuation_id"`
			ValueCents  int64  `json:"value_cents"`
			AsOf        string `json:"as_of"`
			Source      string `json:"source"`
			AgeDays     int    `json:"age_days"`
		} `json:"mark"`
		UnrealizedGainCents *int64  `json:"unrealized_gain_cents"`
		UnmarkedReason      *string `json:"unmarked_reason"`
	} `json:"holdings"`
}

func (e *env) valuation(u user, portfolioID string) valuationJSON {
	e.t.Helper()
	r := e.call(http.MethodGet, "/api/v1/portfolio/"+portfolioID+"/valuation", u, nil)
	expect(e.t, r, http.StatusOK, "valuation")
	return decode[valuationJSON](e.t, r)
}

// marks is a valuation's marks by property: "valuation id value as_of".
func (v valuationJSON) marks() map[string]string {
	out := map[string]string{}
	for _, h := range v.Holdings {
		if h.Mark != nil {
			out[h.PropertyID] = fmt.Sprintf("%s %d %s", h.Mark.ValuationID, h.Mark.ValueCents, h.Mark.AsOf)
		}
	}
	return out
}

// TestValuationMarksNewestAndDuplicatesChangeNothing: the mark is the
// newest valuation by as_of whatever order the events came in; the same
// event again (a redelivery) or the same valuation under a new event id
// (a republish) changes nothing; a failed valuation leaves the mark.
func TestValuationMarksNewestAndDuplicatesChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Marks")
	a, b := e.knownProperty(org), e.knownProperty(org)
	ha := e.holding(admin, p.ID, a, "2023-01-01", 400_000_00)
	e.holding(admin, p.ID, b, "2023-01-01", 300_000_00)
	now := e.clock.Now()
	today := now.Format(time.DateOnly)
	tenDaysAgo := now.AddDate(0, 0, -10).Format(time.DateOnly)
	newer := valuationEvent(t, org, a, newID(), today, 450_000_00, now)
	older := valuationEvent(t, org, a, newID(), tenDaysAgo, 420_000_00, now.Add(time.Minute)) // completed later, as of earlier
	e.apply(newer)
	e.apply(older)
	e.apply(newer)
	again := valuationEvent(t, org, a, "", today, 999_999_00, now)
	again.Data = newer.Data // the same valuation, republished under another event id
	e.apply(again)
	e.apply(propertyEvent(t, "reos.property.valuation.failed", org, a, now.Add(time.Hour), map[string]any{
		"valuation_id": newID(), "property_id": a, "org_id": org, "as_of": today, "reason": "no_comparables"}))
	if n := scalar[int](e, `SELECT count(*) FROM portfolio.property_valuations WHERE property_id = $1`, a); n != 2 {
		t.Fatalf("%d valuations of a, want the two distinct ones", n)
	}
	v := e.valuation(admin, p.ID)
	var dataOf map[string]any
	if err := newer.DecodeData(&dataOf); err != nil {
		t.Fatal(err)
	}
	if got := v.marks()[a]; got != fmt.Sprintf("%s %d %s", dataOf["valuation_id"], int64(450_000_00), today) {
		t.Fatalf("a's mark %q", got)
	}
	if v.MarkedCount != 1 || v.UnmarkedCount != 1 || v.MarkedValueCents != 450_000_00 {
		t.Fatalf("totals %+v", v)
	}
	for _, h := range v.Holdings {
		switch h.HoldingID {
		case ha.ID:
			if h.Mark.Source != app.MarkSourceEvent || h.Mark.AgeDays != 0 || *h.UnrealizedGainCents != 50_000_00 {
				t.Errorf("a %+v", h)
			}
		default:
			if h.Mark != nil || h.UnmarkedReason == nil || *h.UnmarkedReason != app.UnmarkedNoValuation {
				t.Errorf("b has no valuation anywhere: %+v", h)
			}
		}
	}
}

// TestValuationFallsBackToPropertyAndKeepsItsAnswer: a holding the read
// model has no mark for is marked from property (source property_api), and
// the answer is kept, so the next request needs no call.
func TestValuationFallsBackToPropertyAndKeepsItsAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Fallback")
	prop := e.knownProperty(org)
	e.holding(admin, p.ID, prop, "2023-01-01", 200_000_00)
	asOf := e.clock.Now().AddDate(0, 0, -3).Truncate(24 * time.Hour)
	vid := newID()
	e.property.set(func(f *fakeProperty) {
		f.valuations[prop] = &domain.Mark{ValuationID: vid, PropertyID: prop, AsOf: asOf, EstimateCents: 210_000_00, LowCents: 1, HighCents: 2,
			Confidence: 60, Method: "comparables", CompletedAt: e.clock.Now().Truncate(time.Microsecond), Source: app.MarkSourceProperty}
	})
	v := e.valuation(admin, p.ID)
	h := v.Holdings[0]
	if h.Mark == nil || h.Mark.Source != app.MarkSourceProperty || h.Mark.ValuationID != vid || h.Mark.AgeDays != 3 {
		t.Fatalf("fallback mark %+v", h)
	}
	calls := e.property.calls
	e.property.set(func(f *fakeProperty) { f.down = true })
	if again := e.valuation(admin, p.ID); again.marks()[prop] != v.marks()[prop] || e.property.calls != calls {
		t.Fatalf("the kept mark %+v after %d calls (were %d)", again, e.property.calls, calls)
	}
}

// TestPropertyDownHoldingsShowTheAgeOfTheirLastMark: with property down the
// valuation still answers: marked holdings keep their last mark with its
// growing age; unmarked ones say property was unavailable.
func TestPropertyDownHoldingsShowTheAgeOfTheirLastMark(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := newOrg()
	admin := e.user(org, permsAdmin)
	p := e.portfolio(admin, "Outage")
	marked, unmarked := e.knownProperty(org), e.knownProperty(org)
	e.holding(admin, p.ID, marked, "2023-01-01", 100_000_00)
	e.holding(admin, p.ID, unmarked, "2023-01-01", 100_000_00)
	e.apply(valuationEvent(t, org, marked, newID(), e.clock.Now().Format(time.DateOnly), 120_000_00, e.clock.Now()))
	e.property.set(func(f *fakeProperty) { f.down = true })
	e.clock.Advance(45 * 24 * time.Hour)
	v := e.valuation(admin, p.ID)
	for _, h := range v.Holdings {
		switch h.PropertyID {
		case marked:
			if h.Mark == nil || h.Mark.AgeDays != 45 {
				t.Errorf("marked holding %+v, want its last mark aged 45 days", h)
			}
		case unmarked:
			if h.Mark != nil || h.UnmarkedReason == nil || *h.UnmarkedReason != app.UnmarkedPropertyUnavailable {
				t.Errorf("unmarked holding %+v", h)
			}
		}
	}
	if v.MarkedValueCents != 120_000_00 || v.UnmarkedCount != 1 {
		t.Fatalf("totals %+v: the unmarked holding must not be valued (at cost or otherwise)", v)
	}
}

// TestReadModelRebuiltFromTheTopic: the consumer the binary runs, on the
// real broker and topic (shared: the org is new, the groups the test's
// own). Events with duplicates (the same event twice, a valuation
// republished under a new id) and out of order build a read model; a second
// database rebuilt from the topic by a fresh group gives the same numbers.
func TestReadModelRebuiltFromTheTopic(t *testing.T) {
	t.Parallel()
	brokers := testkit.Brokers(t)
	org := newOrg()
	props := []string{newID(), newID(), newID()}
	now := time.Now().UTC().Truncate(time.Second)
	day := func(d int) string { return now.AddDate(0, 0, -d).Format(time.DateOnly) }
	var evs []events.Event
	for i, pid := range props {
		evs = append(evs, propertyEvent(t, app.PropertyCreated, org, pid, now, map[string]any{"property_id": pid, "org_id": org}))
		if i == 2 {
			continue // the third has no valuation
		}
		latest := valuationEvent(t, org, pid, newID(), day(1), int64(500_000_00+i*1_000_00), now)
		evs = append(evs, latest, valuationEvent(t, org, pid, newID(), day(30), 480_000_00, now), latest)
		republished := valuationEvent(t, org, pid, "", day(1), 1, now)
		republished.Data = latest.Data
		evs = append(evs, republished)
	}
	for _, ev := range evs {
		publish(t, brokers, ev)
	}
	build := func() valuationJSON {
		e := newEnv(t)
		consumer, err := server.NewPropertyConsumer(server.ConsumerOptions{Pool: e.pool, Brokers: brokers, Logger: logging.Discard(),
			GroupID: testkit.UniqueName(t, "portfolio-rebuild"), MaxWait: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		testkit.RunInBackground(t, "consumer", consumer.Run)
		testkit.Eventually(t, 90*time.Second, func() bool {
			return scalar[int](e, `SELECT count(*) FROM portfolio.property_valuations WHERE org_id = $1`, org) == 4 &&
				scalar[int](e, `SELECT count(*) FROM portfolio.known_properties WHERE org_id = $1`, org) == 3
		}, func() string { return fmt.Sprintf("the read model never caught up (consumer %+v)", consumer.Stats()) })
		admin := e.user(org, permsAdmin)
		p := e.portfolio(admin, "Rebuilt")
		for _, pid := range props {
			e.holding(admin, p.ID, pid, "2020-01-01", 400_000_00)
		}
		return e.valuation(admin, p.ID)
	}
	first, second := build(), build()
	if fmt.Sprint(sorted(first.marks())) != fmt.Sprint(sorted(second.marks())) || first.MarkedValueCents != second.MarkedValueCents ||
		first.MarkedValueCents != 500_000_00+501_000_00 || first.UnmarkedCount != 1 {
		t.Fatalf("first %+v\nsecond %+v", first, second)
	}
}

func sorted(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// publish writes ev to reos.property.events as property's relay would.
func publish(t *testing.T, brokers []string, ev events.Event) {
	t.Helper()
	payload, err := ev.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	testkit.Publish(t, brokers, events.Topic("property"), ev.Subject, payload,
		"content-type", "application/cloudevents+json", "ce_id", ev.ID, "ce_type", ev.Type)
}
