package tests

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	const timeout, openTimeout = 300 * time.Millisecond, time.Second
	h := newHarness(t, options{env: map[string]string{
		"UPSTREAM_TIMEOUT":     timeout.String(),
		"BREAKER_FAILURES":     "3",
		"BREAKER_OPEN_TIMEOUT": openTimeout.String(),
	}})
	var down atomic.Bool
	down.Store(true)
	h.ups["property"].set(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			<-r.Context().Done() // hang until the gateway gives up
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000e1")

	// Three timeouts trip the breaker: it opens while the third is answered.
	var openedFrom, openedTo time.Time
	for i := range 3 {
		openedFrom = time.Now()
		r := h.do("GET", "/api/v1/properties", "", bearer(tok))
		openedTo = time.Now()
		expectProblem(t, r, http.StatusGatewayTimeout, "upstream_timeout")
		if r.duration < timeout {
			t.Errorf("timeout %d answered after %s, before the upstream timeout", i+1, r.duration)
		}
	}
	hits := h.ups["property"].hits.Load()
	r := h.do("GET", "/api/v1/properties", "", bearer(tok))
	expectProblem(t, r, http.StatusServiceUnavailable, "upstream_unavailable")
	if r.duration > timeout/3 {
		t.Errorf("open breaker answered after %s; want well under the %s upstream timeout", r.duration, timeout)
	}
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", r.Header.Get("Retry-After"))
	}
	if h.ups["property"].hits.Load() != hits {
		t.Error("a request reached the upstream while the breaker was open")
	}
	// Other upstreams are unaffected.
	expectStatus(t, h.do("GET", "/api/v1/leads", "", bearer(tok)), http.StatusOK)
	if m := h.do("GET", "/metrics", ""); !strings.Contains(string(m.body), `gateway_upstream_breaker_state{upstream="property"} 2`) {
		t.Errorf("breaker gauge not open:\n%s", grep(string(m.body), "breaker_state"))
	}

	// The upstream recovers; after the open timeout one trial request goes
	// through (half-open) and closes the breaker. gobreaker reads the wall
	// clock, which a test cannot move, so the test asks until the trial is
	// let through and checks that it came when the open timeout said: no
	// request reaches the upstream before it, none is refused after it.
	down.Store(false)
	const slack = 50 * time.Millisecond // the breaker's and the test's readings of one clock
	var wrong, last string
	testkit.Eventually(t, openTimeout+5*time.Second, func() bool {
		from := time.Now()
		r := h.do("GET", "/api/v1/properties", "", bearer(tok))
		to := time.Now()
		switch {
		case r.StatusCode == http.StatusOK && to.Sub(openedFrom) < openTimeout:
			wrong = fmt.Sprintf("a request went through at most %s after the breaker opened, before its %s open timeout", to.Sub(openedFrom), openTimeout)
			return true
		case r.StatusCode == http.StatusOK:
			return true
		case r.StatusCode != http.StatusServiceUnavailable || r.problemType() != "upstream_unavailable" || h.ups["property"].hits.Load() != hits:
			wrong = fmt.Sprintf("while open: %d %s, upstream hits %d (were %d)", r.StatusCode, r.body, h.ups["property"].hits.Load(), hits)
			return true
		case from.Sub(openedTo) > openTimeout+slack:
			wrong = fmt.Sprintf("still refused %s after the breaker opened, past its %s open timeout", from.Sub(openedTo), openTimeout)
			return true
		}
		last = fmt.Sprintf("%d %s", r.StatusCode, r.body)
		return false
	}, func() string { return "the trial request never went through; last: " + last })
	if wrong != "" {
		t.Fatal(wrong)
	}
	for range 3 {
		expectStatus(t, h.do("GET", "/api/v1/properties", "", bearer(tok)), http.StatusOK)
	}
	if m := h.do("GET", "/metrics", ""); !strings.Contains(string(m.body), `gateway_upstream_breaker_state{upstream="property"} 0`) {
		t.Errorf("breaker gauge not closed:\n%s", grep(string(m.body), "breaker_state"))
	}
}

func TestBreakerCountsBadGatewayAndTransportErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{
		env:            map[string]string{"BREAKER_FAILURES": "2", "BREAKER_OPEN_TIMEOUT": "30s"},
		extraUpstreams: "portfolio=" + closedPortURL(t),
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000e2")
	// Connection refused → 502, twice → open.
	expectProblem(t, h.do("GET", "/api/v1/portfolio", "", bearer(tok)), http.StatusBadGateway, "upstream_error")
	expectProblem(t, h.do("GET", "/api/v1/portfolio", "", bearer(tok)), http.StatusBadGateway, "upstream_error")
	expectProblem(t, h.do("GET", "/api/v1/portfolio", "", bearer(tok)), http.StatusServiceUnavailable, "upstream_unavailable")

	// An upstream's own 503 is passed through, and counted.
	h.ups["platform"].set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"type":"https://reos.dev/problems/own_outage","status":503}`))
	})
	expectProblem(t, h.do("GET", "/api/v1/tasks", "", bearer(tok)), http.StatusServiceUnavailable, "own_outage")
	expectProblem(t, h.do("GET", "/api/v1/tasks", "", bearer(tok)), http.StatusServiceUnavailable, "own_outage")
	expectProblem(t, h.do("GET", "/api/v1/tasks", "", bearer(tok)), http.StatusServiceUnavailable, "upstream_unavailable")

	// 4xx and 500 answers are the service working; they do not trip it.
	h.ups["crm"].set(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	for range 4 {
		expectStatus(t, h.do("GET", "/api/v1/leads", "", bearer(tok)), http.StatusInternalServerError)
	}
}

func TestSSEStreamsPastTheTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: map[string]string{"UPSTREAM_TIMEOUT": "200ms"}})
	h.ups["platform"].set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for i := range 4 {
			_, _ = w.Write([]byte("id: " + string(rune('1'+i)) + "\ndata: tick\n\n"))
			w.(http.Flusher).Flush()
			// A slow stream is the scenario: four events over twice the
			// upstream timeout. The assertions wait for the events.
			time.Sleep(100 * time.Millisecond)
		}
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000e3")
	req, _ := http.NewRequest("GET", h.gw.URL+"/api/v1/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 64)
	start := time.Now()
	n, err := resp.Body.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "data: tick") {
		t.Fatalf("first event: %q %v", buf[:n], err)
	}
	if time.Since(start) > 150*time.Millisecond {
		t.Errorf("first event took %s: the stream is buffered", time.Since(start))
	}
	var all strings.Builder
	all.Write(buf[:n])
	for {
		n, err := resp.Body.Read(buf)
		all.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if c := strings.Count(all.String(), "data: tick"); c != 4 {
		t.Errorf("got %d events over 400 ms with a 200 ms timeout, want all 4:\n%s", c, all.String())
	}
}
