package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"reos.dev/pkg/testkit"
)

// valuationOutageRegion is the postal code whose market data the property
// process's mock provider refuses for its first 3 requests
// (MARKET_DATA_OUTAGES in stackServices): exactly the attempts of one job.
const valuationOutageRegion = "E2E-OUTAGE"

type e2eValuation struct {
	ID          string  `json:"id"`
	Status      string  `json:"status"`
	JobID       int64   `json:"job_id"`
	CompletedAt *string `json:"completed_at"`
	Result      *struct {
		EstimateCents int64            `json:"estimate_cents"`
		LowCents      int64            `json:"low_cents"`
		HighCents     int64            `json:"high_cents"`
		Confidence    int              `json:"confidence"`
		Comparables   []map[string]any `json:"comparables"`
		MemoSHA256    string           `json:"memo_sha256"`
		Memo          string           `json:"memo"`
	} `json:"result"`
	Failure *struct {
		Reason string `json:"reason"`
	} `json:"failure"`
}

type e2eJob struct {
	ID       int64  `json:"id"`
	State    string `json:"state"`
	Attempt  int    `json:"attempt"`
	ReplayOf *int64 `json:"replay_of"`
}

// valuationScenarios request valuations through nginx and the gateway: one
// that completes with its memo, and one whose market data provider is down
// for every attempt, dead-lettered and then replayed.
func valuationScenarios(t *testing.T, s *Stack, a actors) {
	api := s.API()
	// neighbourhood creates a subject and four comparables in postal code
	// postal and returns the subject's id.
	neighbourhood := func(t *testing.T, postal string, lat float64) string {
		t.Helper()
		var subject string
		for i, p := range []struct {
			price       int64
			area, beds  int
			dLat, dLong float64
		}{{50_000_000, 2000, 3, 0, 0}, {42_000_000, 1900, 3, 0.001, 0}, {46_000_000, 2100, 3, -0.001, 0.001}, {44_000_000, 2000, 4, 0.002, -0.001}, {48_000_000, 2200, 3, 0, 0.003}} {
			r := do(t, http.MethodPost, api+"/properties", a.admin, map[string]any{
				"unparsed_address": strconv.Itoa(10+i) + " Valuation Way", "city": "Austin", "postal_code": postal,
				"list_price_cents": p.price, "property_type": "Residential", "living_area": p.area, "bedrooms_total": p.beds,
				"bathrooms_total_integer": 2, "year_built": 2000, "latitude": lat + p.dLat, "longitude": -97.74 + p.dLong,
			})
			expectStatus(t, r, http.StatusCreated, "create property")
			if i == 0 {
				var prop struct{ ID string }
				r.json(t, &prop)
				subject = prop.ID
			}
		}
		return subject
	}
	request := func(t *testing.T, subject string) e2eValuation {
		t.Helper()
		r := do(t, http.MethodPost, api+"/properties/"+subject+"/valuations", a.admin, nil)
		expectStatus(t, r, http.StatusAccepted, "request valuation")
		var v e2eValuation
		r.json(t, &v)
		if v.Status != "queued" || v.JobID == 0 || r.Header.Get("Location") != "/api/v1/properties/"+subject+"/valuations/"+v.ID {
			t.Fatalf("queued valuation %s (Location %q)", r.Body, r.Header.Get("Location"))
		}
		return v
	}
	poll := func(t *testing.T, what, url string, done func(response) bool) response {
		t.Helper()
		var r response
		testkit.Eventually(t, eventTimeout, func() bool {
			r = do(t, http.MethodGet, url, a.admin, nil)
			expectStatus(t, r, http.StatusOK, what)
			return done(r)
		}, func() string { return fmt.Sprintf("%s: still %s", what, r.Body) })
		return r
	}
	valuation := func(t *testing.T, subject, id string, status string) e2eValuation {
		t.Helper()
		var v e2eValuation
		poll(t, "valuation "+status, api+"/properties/"+subject+"/valuations/"+id, func(r response) bool {
			r.json(t, &v)
			return v.Status == status
		})
		return v
	}
	job := func(t *testing.T, id int64, state string) e2eJob {
		t.Helper()
		var j e2eJob
		poll(t, "job "+state, api+"/jobs/property/"+strconv.FormatInt(id, 10), func(r response) bool {
			r.json(t, &j)
			return j.State == state
		})
		return j
	}
	replay := func(t *testing.T, id int64) e2eJob {
		t.Helper()
		r := do(t, http.MethodPost, api+"/jobs/property/"+strconv.FormatInt(id, 10)+"/replay", a.admin, nil)
		expectStatus(t, r, http.StatusCreated, "replay")
		var j e2eJob
		r.json(t, &j)
		return j
	}

	t.Run("a valuation completes with its memo", func(t *testing.T) {
		subject := neighbourhood(t, "78799", 30.30)
		v := valuation(t, subject, request(t, subject).ID, "completed")
		res := v.Result
		if res == nil || len(res.Comparables) != 4 || !(res.LowCents < res.EstimateCents && res.EstimateCents < res.HighCents) || res.Confidence < 1 {
			t.Fatalf("completed valuation %+v", v)
		}
		r := do(t, http.MethodGet, api+"/properties/"+subject+"/valuations/"+v.ID+"/memo", a.viewer, nil)
		expectStatus(t, r, http.StatusOK, "memo")
		sum := sha256.Sum256(r.Body)
		if hex.EncodeToString(sum[:]) != res.MemoSHA256 || string(r.Body) != res.Memo ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "text/markdown") || r.Header.Get("ETag") != `"`+res.MemoSHA256+`"` {
			t.Fatalf("memo through the gateway: %s %q, want the bytes hashing to %s", r.Header.Get("Content-Type"), r.Header.Get("ETag"), res.MemoSHA256)
		}
		// The same inputs, the same memo.
		again := valuation(t, subject, request(t, subject).ID, "completed")
		if again.Result == nil || again.Result.MemoSHA256 != res.MemoSHA256 {
			t.Fatalf("second valuation of the same data: memo %v, want %s", again.Result, res.MemoSHA256)
		}
		s.expectEventOnTopic(t, "reos.property.events", "reos.property.valuation.completed", v.ID)
		expectStatus(t, do(t, http.MethodPost, api+"/properties/"+subject+"/valuations", a.viewer, nil), http.StatusForbidden, "viewer requests")
		expectStatus(t, do(t, http.MethodGet, api+"/properties/"+subject+"/valuations/"+v.ID, a.outsider, nil), http.StatusNotFound, "other org reads")
		expectStatus(t, do(t, http.MethodPost, api+"/properties/"+subject+"/valuations", a.outsider, nil), http.StatusNotFound, "other org requests")
		expectStatus(t, do(t, http.MethodGet, api+"/jobs/property/"+strconv.FormatInt(v.JobID, 10), a.outsider, nil), http.StatusNotFound, "other org's job")
	})

	t.Run("provider outage dead-letters the job and a replay completes it once", func(t *testing.T) {
		subject := neighbourhood(t, valuationOutageRegion, 30.40)
		v := request(t, subject)
		dead := job(t, v.JobID, "discarded")
		if dead.Attempt != 3 {
			t.Fatalf("discarded after %d attempts, want 3", dead.Attempt)
		}
		var dlq struct {
			Items []e2eJob `json:"items"`
		}
		poll(t, "dead-letter queue", api+"/jobs/property?state=discarded&kind=property.valuation", func(r response) bool {
			r.json(t, &dlq)
			return true
		})
		found := false
		for _, j := range dlq.Items {
			found = found || j.ID == v.JobID
		}
		if !found {
			t.Fatalf("job %d is not in the dead-letter queue %+v", v.JobID, dlq.Items)
		}
		failed := valuation(t, subject, v.ID, "failed")
		if failed.Failure == nil || failed.Failure.Reason != "market_data_unavailable" {
			t.Fatalf("valuation after the outage %+v", failed)
		}

		// The outage covered 3 requests: the replay's is answered.
		r := replay(t, v.JobID)
		if r.ReplayOf == nil || *r.ReplayOf != v.JobID {
			t.Fatalf("replay %+v", r)
		}
		job(t, r.ID, "completed")
		done := valuation(t, subject, v.ID, "completed")
		if done.Result == nil || done.JobID != r.ID {
			t.Fatalf("valuation after the replay %+v", done)
		}
		// Replaying again changes nothing.
		job(t, replay(t, r.ID).ID, "completed")
		again := valuation(t, subject, v.ID, "completed")
		if *again.CompletedAt != *done.CompletedAt || again.Result.MemoSHA256 != done.Result.MemoSHA256 || again.JobID != r.ID {
			t.Fatalf("a second replay changed the valuation: %+v vs %+v", again, done)
		}
		var list struct {
			Items []e2eValuation `json:"items"`
		}
		do(t, http.MethodGet, api+"/properties/"+subject+"/valuations", a.admin, nil).json(t, &list)
		if len(list.Items) != 1 {
			t.Fatalf("%d valuations of the property, want 1", len(list.Items))
		}
	})
}
