package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/jobs"
	"reos.dev/services/property/internal/adapters/market"
)

type valuationJSON struct {
	ID          string  `json:"id"`
	PropertyID  string  `json:"property_id"`
	Status      string  `json:"status"`
	AsOf        string  `json:"as_of"`
	RequestedBy *string `json:"requested_by"`
	JobID       int64   `json:"job_id"`
	CompletedAt *string `json:"completed_at"`
	Result      *struct {
		Method            string `json:"method"`
		EstimateCents     int64  `json:"estimate_cents"`
		LowCents          int64  `json:"low_cents"`
		HighCents         int64  `json:"high_cents"`
		Confidence        int    `json:"confidence"`
		PricePerSqftCents int64  `json:"price_per_sqft_cents"`
		Market            struct {
			Region string `json:"region"`
			Month  string `json:"month"`
			Index  int64  `json:"index"`
		} `json:"market"`
		Comparables []struct {
			PropertyID                string `json:"property_id"`
			PriceCents                int64  `json:"price_cents"`
			PriceSource               string `json:"price_source"`
			DistanceMeters            *int64 `json:"distance_meters"`
			AdjustedPricePerSqftCents int64  `json:"adjusted_price_per_sqft_cents"`
			Similarity                int    `json:"similarity"`
			WeightBP                  int64  `json:"weight_bp"`
		} `json:"comparables"`
		MemoSHA256 string `json:"memo_sha256"`
		Memo       string `json:"memo"`
	} `json:"result"`
	Failure *struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"failure"`
}

type jobJSON struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	Queue    string `json:"queue"`
	State    string `json:"state"`
	Attempt  int    `json:"attempt"`
	ReplayOf *int64 `json:"replay_of"`
	Errors   []struct {
		Error string `json:"error"`
	} `json:"errors"`
}

// austin is a house in the 78701 postal code with coordinates.
func austin(addr string, priceCents int64, area, beds, baths, year int, lat, lon float64) map[string]any {
	return house(addr, "Austin", priceCents, map[string]any{"postal_code": "78701", "living_area": area,
		"bedrooms_total": beds, "bathrooms_total_integer": baths, "year_built": year, "latitude": lat, "longitude": lon})
}

// neighbourhood creates a subject (2,000 sq ft, 3 bed, 2 bath, 2000) and
// five comparables around it in c's org; it returns the subject and the
// comparables' ids.
func (e *env) neighbourhood(c caller) (propertyJSON, []string) {
	e.t.Helper()
	subject := e.create(c, austin("1 Subject Street", 50_000_000, 2000, 3, 2, 2000, 30.2672, -97.7431))
	var comps []string
	for _, b := range []map[string]any{
		austin("2 Comp Street", 42_000_000, 1900, 3, 2, 1998, 30.2680, -97.7431),
		austin("3 Comp Street", 46_000_000, 2100, 3, 2, 2002, 30.2660, -97.7440),
		austin("4 Comp Street", 44_000_000, 2000, 4, 2, 2001, 30.2700, -97.7400),
		austin("5 Comp Street", 39_000_000, 1800, 3, 1, 1995, 30.2600, -97.7500),
		austin("6 Comp Street", 48_000_000, 2200, 3, 3, 2005, 30.2750, -97.7350),
	} {
		comps = append(comps, e.create(c, b).ID)
	}
	return subject, comps
}

func today() string { return time.Now().UTC().Format(time.DateOnly) }

func (e *env) requestValuation(c caller, propertyID string, body any) valuationJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/properties/"+propertyID+"/valuations", c.Token, body)
	expect(e.t, r, http.StatusAccepted, "request valuation")
	v := decode[valuationJSON](e.t, r)
	if loc := r.Header.Get("Location"); loc != "/api/v1/properties/"+propertyID+"/valuations/"+v.ID {
		e.t.Fatalf("Location %q", loc)
	}
	return v
}

// waitValuation waits until the valuation has left queued.
func (e *env) waitValuation(c caller, propertyID, id string) valuationJSON {
	e.t.Helper()
	return await(e, c, "/api/v1/properties/"+propertyID+"/valuations/"+id, "valuation "+id+" leaves queued",
		func(v valuationJSON) bool { return v.Status != "queued" })
}

// waitJob waits until job id is in state (jobs API).
func (e *env) waitJob(c caller, id int64, state string) jobJSON {
	e.t.Helper()
	return await(e, c, jobs.APIPath("property")+"/"+strconv.FormatInt(id, 10), fmt.Sprintf("job %d is %s", id, state),
		func(j jobJSON) bool { return j.State == state })
}

func (e *env) valuationEvents(kind string) []outboxEvent {
	e.t.Helper()
	var out []outboxEvent
	for _, ev := range e.outbox() {
		if ev.Type == "reos.property.valuation."+kind {
			out = append(out, ev)
		}
	}
	return out
}

func TestValuationJobStoresTheResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	subject, comps := e.neighbourhood(admin)
	// A Closed listing prices comparable 0 by its sale, not its list price.
	r := e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": comps[0], "list_price_cents": 43_500_000, "standard_status": "Closed"})
	expect(t, r, http.StatusCreated, "closed listing")
	// Never comparables: another org's twin next door, an archived twin, a
	// twin of another type, and one without a living area.
	other := e.token(newOrg(), "*")
	e.create(other, austin("1 Subject Street", 10_000_000, 2000, 3, 2, 2000, 30.2672, -97.7431))
	archived := e.create(admin, austin("7 Gone Street", 45_000_000, 2000, 3, 2, 2000, 30.2672, -97.7431))
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+archived.ID, admin.Token, nil), http.StatusNoContent, "archive")
	land := austin("8 Land Street", 45_000_000, 2000, 3, 2, 2000, 30.2672, -97.7431)
	land["property_type"] = "Land"
	e.create(admin, land)
	e.create(admin, house("9 No Area Street", "Austin", 45_000_000, map[string]any{"postal_code": "78701"}))

	queued := e.requestValuation(admin, subject.ID, nil)
	if queued.Status != "queued" || queued.JobID <= 0 || queued.AsOf != today() || queued.Result != nil ||
		queued.RequestedBy == nil || *queued.RequestedBy != admin.UserID {
		t.Fatalf("queued valuation %+v", queued)
	}
	v := e.waitValuation(admin, subject.ID, queued.ID)
	if v.Status != "completed" || v.Result == nil || v.CompletedAt == nil || v.Failure != nil {
		t.Fatalf("valuation %+v", v)
	}
	res := v.Result
	if !(res.LowCents < res.EstimateCents && res.EstimateCents < res.HighCents) || res.Confidence < 1 || res.Confidence > 100 {
		t.Errorf("estimate %d in [%d, %d], confidence %d", res.EstimateCents, res.LowCents, res.HighCents, res.Confidence)
	}
	var used []string
	lo, hi := int64(1<<62), int64(0)
	for _, c := range res.Comparables {
		used = append(used, c.PropertyID)
		lo, hi = min(lo, c.AdjustedPricePerSqftCents), max(hi, c.AdjustedPricePerSqftCents)
		if c.DistanceMeters == nil || *c.DistanceMeters > 2000 || c.Similarity < 400 || c.WeightBP <= 0 {
			t.Errorf("comparable %+v", c)
		}
		if c.PropertyID == comps[0] && (c.PriceSource != "closed_listing" || c.PriceCents != 43_500_000) {
			t.Errorf("comparable with a Closed listing: %+v, want its sale price", c)
		}
	}
	slices.Sort(used)
	want := slices.Clone(comps)
	slices.Sort(want)
	if !slices.Equal(used, want) {
		t.Fatalf("comparables %v, want exactly the five neighbours %v", used, want)
	}
	// The estimate is a weighted mean of the comparables' prices per sq ft.
	if res.EstimateCents < lo*2000-10_000 || res.EstimateCents > hi*2000+10_000 {
		t.Errorf("estimate %d outside the comparables' range %d..%d per sq ft × 2000", res.EstimateCents, lo, hi)
	}
	if res.Market.Region != "78701" || res.Market.Month != today()[:7] || res.Market.Index <= 0 {
		t.Errorf("market %+v", res.Market)
	}
	sum := sha256.Sum256([]byte(res.Memo))
	if hex.EncodeToString(sum[:]) != res.MemoSHA256 || !strings.Contains(res.Memo, "1 Subject Street") {
		t.Fatalf("memo hash %s does not match its memo:\n%s", res.MemoSHA256, res.Memo)
	}

	// The memo as Markdown bytes, with its hash as ETag.
	memoPath := "/api/v1/properties/" + subject.ID + "/valuations/" + v.ID + "/memo"
	m := e.call(http.MethodGet, memoPath, admin.Token, nil)
	expect(t, m, http.StatusOK, "memo")
	if string(m.Body) != res.Memo || m.Header.Get("ETag") != `"`+res.MemoSHA256+`"` ||
		!strings.HasPrefix(m.Header.Get("Content-Type"), "text/markdown") {
		t.Fatalf("memo answer %q %q", m.Header.Get("Content-Type"), m.Header.Get("ETag"))
	}

	// The job ran once on the high-priority queue and completed.
	j := e.waitJob(admin, v.JobID, "completed")
	if j.Kind != "property.valuation" || j.Queue != jobs.QueueHigh || j.Attempt != 1 {
		t.Errorf("job %+v", j)
	}
	calls := e.market.Calls()
	if len(calls) != 1 || calls[0].Region != "78701" || calls[0].To.String() != today()[:7] {
		t.Errorf("market data calls %+v", calls)
	}
	evs := e.valuationEvents("completed")
	if len(evs) != 1 || evs[0].Key != subject.ID || evs[0].Data["valuation_id"] != v.ID ||
		evs[0].Data["estimate_cents"] != float64(res.EstimateCents) || evs[0].Data["memo_sha256"] != res.MemoSHA256 {
		t.Fatalf("completed events %+v", evs)
	}
}

func TestValuationMemoIsIdenticalForIdenticalInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	subject, comps := e.neighbourhood(admin)
	day := map[string]any{"as_of": today()}

	first := e.waitValuation(admin, subject.ID, e.requestValuation(admin, subject.ID, day).ID)
	second := e.waitValuation(admin, subject.ID, e.requestValuation(admin, subject.ID, day).ID)
	if first.Result == nil || second.Result == nil || first.ID == second.ID {
		t.Fatalf("valuations %+v %+v", first, second)
	}
	if first.Result.Memo != second.Result.Memo || first.Result.MemoSHA256 != second.Result.MemoSHA256 {
		t.Fatalf("same inputs, different memos:\n%s\n---\n%s", first.Result.Memo, second.Result.Memo)
	}
	m1 := e.call(http.MethodGet, "/api/v1/properties/"+subject.ID+"/valuations/"+first.ID+"/memo", admin.Token, nil)
	m2 := e.call(http.MethodGet, "/api/v1/properties/"+subject.ID+"/valuations/"+second.ID+"/memo", admin.Token, nil)
	if string(m1.Body) != string(m2.Body) || len(m1.Body) == 0 {
		t.Fatal("the memo bytes differ")
	}
	// A client holding the memo revalidates it by its hash.
	r := e.client.Do(http.MethodGet, "/api/v1/properties/"+subject.ID+"/valuations/"+second.ID+"/memo", admin.Token, nil,
		"If-None-Match", `"`+first.Result.MemoSHA256+`"`)
	expect(t, r, http.StatusNotModified, "memo revalidation")

	// A comparable's new price is a new input: another memo.
	expect(t, e.call(http.MethodPut, "/api/v1/properties/"+comps[2], admin.Token, map[string]any{"list_price_cents": 47_000_000}), http.StatusOK, "reprice")
	third := e.waitValuation(admin, subject.ID, e.requestValuation(admin, subject.ID, day).ID)
	if third.Result == nil || third.Result.MemoSHA256 == first.Result.MemoSHA256 || third.Result.EstimateCents == first.Result.EstimateCents {
		t.Fatalf("repriced comparable left the valuation as it was: %+v", third.Result)
	}
	if !strings.Contains(third.Result.Memo, "$470,000.00") || strings.Contains(third.Result.Memo, "$440,000.00") {
		t.Errorf("memo does not show the new price:\n%s", third.Result.Memo)
	}

	// Newest first, two to a page.
	r = e.call(http.MethodGet, "/api/v1/properties/"+subject.ID+"/valuations?limit=2", admin.Token, nil)
	expect(t, r, http.StatusOK, "list")
	page := decode[listJSON[valuationJSON]](t, r)
	if len(page.Items) != 2 || page.Items[0].ID != third.ID || page.Items[1].ID != second.ID || page.NextCursor == nil {
		t.Fatalf("first page %+v", page)
	}
	r = e.call(http.MethodGet, "/api/v1/properties/"+subject.ID+"/valuations?limit=2&cursor="+*page.NextCursor, admin.Token, nil)
	expect(t, r, http.StatusOK, "list page 2")
	page = decode[listJSON[valuationJSON]](t, r)
	if len(page.Items) != 1 || page.Items[0].ID != first.ID || page.NextCursor != nil {
		t.Fatalf("second page %+v", page)
	}
}

func TestValuationRequestIsChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	viewer := e.token(admin.OrgID, "properties:read")
	subject, _ := e.neighbourhood(admin)
	path := "/api/v1/properties/" + subject.ID + "/valuations"

	noArea := e.create(admin, house("1 Unknown Size Rd", "Austin", 1, nil))
	expectField(t, e.call(http.MethodPost, "/api/v1/properties/"+noArea.ID+"/valuations", admin.Token, nil), http.StatusUnprocessableEntity, "living_area", "no living area")
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	expectField(t, e.call(http.MethodPost, path, admin.Token, map[string]any{"as_of": tomorrow}), http.StatusUnprocessableEntity, "as_of", "future as_of")
	expectField(t, e.call(http.MethodPost, path, admin.Token, map[string]any{"as_of": "14/03/2026"}), http.StatusUnprocessableEntity, "as_of", "malformed as_of")
	expectField(t, e.call(http.MethodPost, path, admin.Token, map[string]any{"estimate_cents": 1}), http.StatusUnprocessableEntity, "estimate_cents", "unknown field")
	expect(t, e.call(http.MethodPost, path, viewer.Token, nil), http.StatusForbidden, "viewer requests")
	expectField(t, e.call(http.MethodPost, "/api/v1/properties/nope/valuations", admin.Token, nil), http.StatusBadRequest, "id", "bad property id")
	expectField(t, e.call(http.MethodGet, path+"/nope", admin.Token, nil), http.StatusBadRequest, "valuation_id", "bad valuation id")
	expectField(t, e.call(http.MethodGet, path+"?sort=x", admin.Token, nil), http.StatusBadRequest, "sort", "unknown parameter")
	if n := scalar[int](e, `SELECT count(*) FROM property.property_valuations`); n != 0 {
		t.Fatalf("refused requests stored %d valuations", n)
	}

	// A past as_of is kept; the viewer reads; the valuation is only
	// reachable under its own property.
	v := e.requestValuation(admin, subject.ID, map[string]any{"as_of": "2025-06-30"})
	if v.AsOf != "2025-06-30" {
		t.Fatalf("as_of %s", v.AsOf)
	}
	got := e.waitValuation(viewer, subject.ID, v.ID)
	// Every neighbour was priced today, after the as-of day: none counts.
	if got.Status != "failed" || got.Failure == nil || got.Failure.Reason != "insufficient_comparables" {
		t.Fatalf("valuation as of last year %+v", got)
	}
	expect(t, e.call(http.MethodGet, "/api/v1/properties/"+noArea.ID+"/valuations/"+v.ID, admin.Token, nil), http.StatusNotFound, "under another property")
}

func TestValuationWithTooFewComparablesFailsForGood(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	subject := e.create(admin, austin("1 Lonely Road", 50_000_000, 2000, 3, 2, 2000, 30.2672, -97.7431))
	e.create(admin, austin("2 Lonely Road", 40_000_000, 2000, 3, 2, 2000, 30.2680, -97.7431))

	v := e.waitValuation(admin, subject.ID, e.requestValuation(admin, subject.ID, nil).ID)
	if v.Status != "failed" || v.Failure == nil || v.Failure.Reason != "insufficient_comparables" || v.Result != nil {
		t.Fatalf("valuation %+v", v)
	}
	// The job did its work: it completed, it is not dead-lettered.
	e.waitJob(admin, v.JobID, "completed")
	expect(t, e.call(http.MethodGet, "/api/v1/properties/"+subject.ID+"/valuations/"+v.ID+"/memo", admin.Token, nil), http.StatusConflict, "memo of a failed valuation")
	if evs := e.valuationEvents("failed"); len(evs) != 1 || evs[0].Data["reason"] != "insufficient_comparables" {
		t.Fatalf("failed events %+v", evs)
	}
	if n := len(e.valuationEvents("completed")); n != 0 {
		t.Fatalf("%d completed events for a failed valuation", n)
	}
}

// TestProviderOutageDeadLettersAndReplayCompletesOnce: a provider that
// fails every attempt sends the job to the dead-letter queue and leaves the
// valuation not completed; replaying it once the provider is back completes
// the valuation exactly once, and replaying again changes nothing.
func TestProviderOutageDeadLettersAndReplayCompletesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	subject, _ := e.neighbourhood(admin)
	e.market.SetOutage("78701", market.Always)

	v := e.requestValuation(admin, subject.ID, nil)
	dead := e.waitJob(admin, v.JobID, "discarded")
	if dead.Attempt != jobs.MaxAttempts || len(dead.Errors) != jobs.MaxAttempts || !strings.Contains(dead.Errors[2].Error, "unavailable") {
		t.Fatalf("discarded job %+v", dead)
	}
	r := e.call(http.MethodGet, jobs.APIPath("property")+"?state=discarded", admin.Token, nil)
	expect(t, r, http.StatusOK, "dead-letter queue")
	if dlq := decode[listJSON[jobJSON]](t, r); len(dlq.Items) != 1 || dlq.Items[0].ID != v.JobID {
		t.Fatalf("dead-letter queue %+v, want job %d", dlq.Items, v.JobID)
	}
	failed := e.waitValuation(admin, subject.ID, v.ID)
	if failed.Status != "failed" || failed.Failure == nil || failed.Failure.Reason != "market_data_unavailable" || failed.Result != nil {
		t.Fatalf("valuation after the outage %+v", failed)
	}
	if n := len(e.valuationEvents("completed")) + len(e.valuationEvents("failed")); n != 0 {
		t.Fatalf("%d valuation events before the replay", n)
	}

	e.market.SetOutage("78701", 0)
	replay := e.replayJob(admin, v.JobID)
	if replay.ReplayOf == nil || *replay.ReplayOf != v.JobID {
		t.Fatalf("replay %+v", replay)
	}
	e.waitJob(admin, replay.ID, "completed")
	done := e.waitValuation(admin, subject.ID, v.ID)
	if done.Status != "completed" || done.Result == nil || done.Failure != nil || done.JobID != replay.ID {
		t.Fatalf("valuation after the replay %+v", done)
	}
	if n := len(e.valuationEvents("completed")); n != 1 {
		t.Fatalf("%d completed events, want 1", n)
	}

	// Replaying the completed replay, or the dead job once more, changes
	// nothing: one valuation, one event, the same result.
	e.waitJob(admin, e.replayJob(admin, replay.ID).ID, "completed")
	e.waitJob(admin, e.replayJob(admin, v.JobID).ID, "completed")
	again := e.waitValuation(admin, subject.ID, v.ID)
	if *again.CompletedAt != *done.CompletedAt || again.Result.MemoSHA256 != done.Result.MemoSHA256 || again.JobID != replay.ID {
		t.Fatalf("a replay changed the valuation: %+v vs %+v", again, done)
	}
	if n := len(e.valuationEvents("completed")); n != 1 {
		t.Fatalf("%d completed events after more replays, want 1", n)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.property_valuations`); n != 1 {
		t.Fatalf("%d valuations, want 1", n)
	}
	if n := scalar[int](e, `SELECT count(*) FROM property.job_effects WHERE effect_key = $1`, "valuation:"+v.ID); n != 1 {
		t.Fatalf("%d effect records, want 1", n)
	}
	// Three failed attempts and one success asked the provider; replays of
	// a finished valuation do not ask again.
	var failedCalls, okCalls int
	for _, c := range e.market.Calls() {
		if c.Failed {
			failedCalls++
		} else {
			okCalls++
		}
	}
	if failedCalls != jobs.MaxAttempts || okCalls != 1 {
		t.Fatalf("provider calls: %d failed, %d answered; want %d and 1", failedCalls, okCalls, jobs.MaxAttempts)
	}

	// The claimed effect key, not only the stored status, stops a repeat:
	// with the row made to look queued behind the API's back, a replay
	// computes again but records nothing and announces nothing.
	if _, err := e.admin.Exec(t.Context(), `UPDATE property.property_valuations SET status = 'queued' WHERE id = $1`, v.ID); err != nil {
		t.Fatal(err)
	}
	e.waitJob(admin, e.replayJob(admin, replay.ID).ID, "completed")
	if s := scalar[string](e, `SELECT status FROM property.property_valuations WHERE id = $1`, v.ID); s != "queued" {
		t.Fatalf("a replay re-recorded a valuation whose effect was claimed: %s", s)
	}
	if n := len(e.valuationEvents("completed")); n != 1 || len(e.market.Calls()) != jobs.MaxAttempts+2 {
		t.Fatalf("%d completed events (want 1), %d provider calls (want %d)", n, len(e.market.Calls()), jobs.MaxAttempts+2)
	}
}

func (e *env) replayJob(c caller, id int64) jobJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, jobs.APIPath("property")+"/"+strconv.FormatInt(id, 10)+"/replay", c.Token, nil)
	expect(e.t, r, http.StatusCreated, "replay job")
	return decode[jobJSON](e.t, r)
}
