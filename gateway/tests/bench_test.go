package tests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// memoryUpstream answers every request in memory, so a benchmark measures
// the gateway alone rather than the loopback network and a second HTTP server.
type memoryUpstream struct{}

const upstreamBody = `{"items":[{"id":"0190a0f0-0000-7000-8000-000000000001","name":"Ann"}],"next_cursor":null}`

func (memoryUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(upstreamBody)),
		ContentLength: int64(len(upstreamBody)),
		Request:       r,
		ProtoMajor:    1, ProtoMinor: 1,
	}, nil
}

func benchEnv() map[string]string {
	return map[string]string{"RATE_LIMIT_USER": "1000000000/60s", "RATE_LIMIT_IP": "1000000000/60s"}
}

func benchGET(b *testing.B, h *harness) {
	tok := h.token("0190a0f0-0000-7000-8000-0000000000ff")
	handler := h.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/leads?limit=50", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkGatewayChain is the full middleware chain (security headers,
// request id, metrics, CORS, routing, cached JWT check, Redis rate limit
// with EVALSHA, breaker, reverse proxy) in front of an in-memory upstream.
func BenchmarkGatewayChain(b *testing.B) {
	h := newHarness(b, options{env: benchEnv(), transport: memoryUpstream{}})
	benchGET(b, h)
}

// BenchmarkGatewayLoopback is the same with a real upstream HTTP server on
// loopback (its own cost included).
func BenchmarkGatewayLoopback(b *testing.B) {
	h := newHarness(b, options{env: benchEnv()})
	h.ups["crm"].set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, upstreamBody)
	})
	benchGET(b, h)
}

// BenchmarkGatewayIdempotentPOST adds the idempotency claim and completion
// (two PostgreSQL round trips) to the chain.
func BenchmarkGatewayIdempotentPOST(b *testing.B) {
	h := newHarness(b, options{env: benchEnv(), transport: memoryUpstream{}})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000fe")
	handler := h.srv.Handler()
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/leads", strings.NewReader(`{"name":"Ann"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "bench-"+strconv.FormatInt(n.Add(1), 10))
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkGatewayChainParallel is BenchmarkGatewayChain with concurrent
// requests, closer to a loaded gateway: the Redis round trip overlaps with
// other requests' work, so ns/op approaches the CPU cost per request.
func BenchmarkGatewayChainParallel(b *testing.B) {
	h := newHarness(b, options{env: benchEnv(), transport: memoryUpstream{}})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000fd")
	handler := h.srv.Handler()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/leads?limit=50", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Errorf("status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
}
