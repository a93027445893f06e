package tests

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	h := newHarness(t, options{env: map[string]string{
		"UPSTREAM_TIMEOUT":     timeout.String(),
		"BREAKER_FAILURES":     "3",
		"BREAKER_OPEN_TIMEOUT": "1s",
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

	// Three timeouts trip the breaker.
	for i := range 3 {
		r := h.do("GET", "/api/v1/properties", "", bearer(tok))
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
	// through (half-open) and closes the breaker.
	down.Store(false)
	time.Sleep(1100 * time.Millisecond)
	expectStatus(t, h.do("GET", "/api/v1/properties", "", bearer(tok)), http.StatusOK)
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
