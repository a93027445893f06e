package tests

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// The proxy's timeouts bound waiting, not a body's length (package proxy):
// UPSTREAM_TIMEOUT runs from the end of the request body to the response
// headers, BODY_IDLE_TIMEOUT bounds every pause of a body. These tests use
// timeouts of a few hundred milliseconds and bodies that take several of
// them.

const (
	upstreamTimeout = 200 * time.Millisecond
	bodyIdle        = 300 * time.Millisecond
)

func timeoutEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"UPSTREAM_TIMEOUT":  upstreamTimeout.String(),
		"BODY_IDLE_TIMEOUT": bodyIdle.String(),
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// trickle yields n chunks of size bytes, one every gap: a slow but steady
// client (its sleep is the scenario, not a wait for an outcome).
type trickle struct {
	n, size int
	gap     time.Duration
}

func (tr *trickle) Read(p []byte) (int, error) {
	if tr.n == 0 {
		return 0, io.EOF
	}
	time.Sleep(tr.gap)
	tr.n--
	return copy(p, strings.Repeat("x", min(tr.size, len(p)))), nil
}

// send posts body to path on the gateway; length -1 sends it chunked.
func (h *harness) send(path string, body io.Reader, length int64, opts ...reqOpt) response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.gw.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	req.ContentLength = length
	req.Header.Set("Content-Type", "text/csv")
	for _, o := range opts {
		o(req)
	}
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("POST %s: read body: %v", path, err)
	}
	return response{Response: resp, body: b, duration: time.Since(start)}
}

// metric returns the value of one sample line of the gateway's /metrics.
func (h *harness) metric(name string) float64 {
	h.t.Helper()
	m := h.do("GET", "/metrics", "")
	for l := range strings.SplitSeq(string(m.body), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				h.t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

// TestSlowUploadOutlastsTheUpstreamTimeout: an upload that takes several
// UPSTREAM_TIMEOUTs in all, but never pauses for BODY_IDLE_TIMEOUT,
// reaches the upstream whole and gets its answer; chunked or with a length.
func TestSlowUploadOutlastsTheUpstreamTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: timeoutEnv(nil)})
	h.ups["property"].set(func(w http.ResponseWriter, r *http.Request) {
		_, body := h.ups["property"].lastRequest()
		w.WriteHeader(http.StatusAccepted)
		_, _ = fmt.Fprintf(w, `{"received":%d}`, len(body))
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000f1")
	for _, length := range []int64{-1, 24 * 1000} {
		// 24 chunks 50 ms apart: 1.2 s, six upstream timeouts.
		r := h.send("/api/v1/properties/bulk-import", &trickle{n: 24, size: 1000, gap: 50 * time.Millisecond}, length, bearer(tok))
		expectStatus(t, r, http.StatusAccepted)
		if string(r.body) != `{"received":24000}` {
			t.Fatalf("length %d: upstream answered %s, want the whole body received", length, r.body)
		}
		if r.duration < 6*upstreamTimeout {
			t.Fatalf("length %d: the upload took %s; the test meant it to outlast the upstream timeout", length, r.duration)
		}
	}
}

// TestUpstreamSilentAfterTheBodyIs504: the upstream timeout starts once the
// body is forwarded (not when the request started), ends in 504
// upstream_timeout, and counts for the breaker.
func TestUpstreamSilentAfterTheBodyIs504(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: timeoutEnv(map[string]string{"BREAKER_FAILURES": "2", "BREAKER_OPEN_TIMEOUT": "30s"})})
	h.ups["property"].set(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // body read (by the fake), then no answer
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000f2")
	const upload = 8 * 50 * time.Millisecond
	for i := range 2 {
		r := h.send("/api/v1/properties/bulk-import", &trickle{n: 8, size: 100, gap: 50 * time.Millisecond}, -1, bearer(tok))
		expectProblem(t, r, http.StatusGatewayTimeout, "upstream_timeout")
		if r.duration < upload+upstreamTimeout {
			t.Errorf("timeout %d after %s: the wait began before the %s upload ended", i+1, r.duration, upload)
		}
		if r.duration > upload+upstreamTimeout+2*time.Second {
			t.Errorf("timeout %d after %s: far later than the upload plus the timeout", i+1, r.duration)
		}
	}
	// Two timeouts opened the breaker.
	expectProblem(t, h.do("GET", "/api/v1/properties", "", bearer(tok)), http.StatusServiceUnavailable, "upstream_unavailable")
}

// TestUpstreamThatStopsReadingTheUploadIs504: an upstream that takes part
// of the body and then no more holds the upload up; after BODY_IDLE_TIMEOUT
// without progress that is a 504 counted by the breaker.
func TestUpstreamThatStopsReadingTheUploadIs504(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.CopyN(io.Discard, r.Body, 1<<10)
		select { // then read nothing more until the test ends
		case <-release:
		case <-time.After(8 * time.Second): // (should the gateway hang on)
		}
	}))
	t.Cleanup(stuck.Close)
	t.Cleanup(func() { close(release) }) // runs first
	h := newHarness(t, options{
		env:            timeoutEnv(map[string]string{"BREAKER_FAILURES": "1", "BREAKER_OPEN_TIMEOUT": "30s"}),
		extraUpstreams: "portfolio=" + stuck.URL,
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000f3")
	// 256 MiB, far more than the socket buffers between gateway and
	// upstream hold, offered as fast as the gateway takes it. On a raw
	// connection, so that the answer is read while the body is still
	// being written (Go's client may report the write's failure instead).
	const size = 256 << 20
	conn := h.rawPost("/api/v1/portfolio/import", tok, size, "")
	go func() { _, _ = io.Copy(conn, io.LimitReader(zeros{}, size)) }()
	r := h.readResponse(conn, "/api/v1/portfolio/import")
	expectProblem(t, r, http.StatusGatewayTimeout, "upstream_timeout")
	if !strings.Contains(string(r.body), "stopped taking the request body") {
		t.Errorf("504 does not say why: %s", r.body)
	}
	if r.duration > 5*time.Second {
		t.Errorf("answered after %s; the idle timeout is %s", r.duration, bodyIdle)
	}
	expectProblem(t, h.do("GET", "/api/v1/portfolio", "", bearer(tok)), http.StatusServiceUnavailable, "upstream_unavailable")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestLongDownloadIsNotCut: a response body that takes several
// UPSTREAM_TIMEOUTs, with or without a length, arrives whole.
func TestLongDownloadIsNotCut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: timeoutEnv(nil)})
	const chunks, size = 20, 4 << 10
	h.ups["property"].set(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("length") == "yes" {
			w.Header().Set("Content-Length", strconv.Itoa(chunks*size))
		}
		w.Header().Set("Content-Type", "application/pdf")
		for range chunks {
			_, _ = w.Write([]byte(strings.Repeat("p", size)))
			w.(http.Flusher).Flush()
			// A slow upstream is the scenario: the body takes several
			// upstream timeouts to arrive.
			time.Sleep(50 * time.Millisecond)
		}
	})
	for _, length := range []string{"yes", "no"} {
		// Files are public (signed links): no token.
		r := h.do("GET", "/api/v1/files/property/o/p/doc?length="+length, "")
		expectStatus(t, r, http.StatusOK)
		if len(r.body) != chunks*size {
			t.Fatalf("length %s: got %d bytes, want %d", length, len(r.body), chunks*size)
		}
		if r.duration < 4*upstreamTimeout {
			t.Fatalf("length %s: the download took %s; the test meant it to outlast the upstream timeout", length, r.duration)
		}
	}
}

// TestStalledDownloadIsCut: an upstream that stops sending mid-body is
// cut after BODY_IDLE_TIMEOUT: the client sees the response end short, and
// the upstream's request is cancelled.
func TestStalledDownloadIsCut(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	h := newHarness(t, options{logs: logs, env: timeoutEnv(map[string]string{"ACCESS_LOG": "true"})})
	cancelled := make(chan bool, 1)
	// The first 64 KiB pass every buffer on the way; then nothing.
	const first = 64 << 10
	h.ups["property"].set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(4*first))
		_, _ = w.Write([]byte(strings.Repeat("p", first)))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			cancelled <- true
		case <-time.After(10 * time.Second):
			cancelled <- false
		}
	})
	resp, err := h.client.Get(h.gw.URL + "/api/v1/files/property/o/p/stuck")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	b, err := io.ReadAll(resp.Body)
	// The last few KiB may still sit in a buffer when the cut comes.
	if err == nil || len(b) < first/2 || len(b) > first {
		t.Fatalf("stalled download: %d bytes, err %v; want most of the first %d and then an error", len(b), err, first)
	}
	if d := time.Since(start); d < bodyIdle*8/10 || d > bodyIdle+3*time.Second {
		t.Errorf("stalled download cut after %s, want about %s", d, bodyIdle)
	}
	if !<-cancelled {
		t.Error("the upstream's request was not cancelled")
	}
	// The cut is logged, and so is the request, as aborted.
	testkit.Eventually(t, 2*time.Second, func() bool {
		return strings.Contains(logs.String(), `"msg":"http request aborted mid-response"`)
	}, func() string { return "no access log line for the cut response:\n" + logs.String() })
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"upstream stopped sending the response body; response cut"`) {
		t.Errorf("the stall is not logged:\n%s", logs.String())
	}
}

// rawPost writes a request head announcing length body bytes and the
// first part of the body on a connection of its own.
func (h *harness) rawPost(path, tok string, length int, part string) net.Conn {
	h.t.Helper()
	conn, err := net.Dial("tcp", h.gw.Listener.Addr().String())
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = conn.Close() })
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n%s",
		path, tok, length, part)
	if err != nil {
		h.t.Fatal(err)
	}
	return conn
}

// readResponse reads the answer to a POST written with rawPost.
func (h *harness) readResponse(conn net.Conn, path string) response {
	h.t.Helper()
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		h.t.Fatalf("POST %s: no answer: %v", path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Request, _ = http.NewRequest(http.MethodPost, path, nil)
	return response{Response: resp, body: b, duration: time.Since(start)}
}

// TestStalledUploadIsEnded: a client that stops sending its body gets 408
// after BODY_IDLE_TIMEOUT; that is its doing, so the breaker does not count
// it (one failure would open it here).
func TestStalledUploadIsEnded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: timeoutEnv(map[string]string{"BREAKER_FAILURES": "1", "BREAKER_OPEN_TIMEOUT": "30s"})})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000f4")
	conn := h.rawPost("/api/v1/properties/bulk-import", tok, 1000, strings.Repeat("x", 100))
	r := h.readResponse(conn, "/api/v1/properties/bulk-import")
	expectProblem(t, r, http.StatusRequestTimeout, "request_body_timeout")
	if r.duration < bodyIdle*8/10 || r.duration > bodyIdle+3*time.Second {
		t.Errorf("408 after %s, want about %s", r.duration, bodyIdle)
	}
	expectStatus(t, h.do("GET", "/api/v1/properties", "", bearer(tok)), http.StatusOK)
}

// TestClientAbortMidUploadIsNotAServerError: a client that hangs up
// mid-upload is counted as a 4xx (400 upload_interrupted, which it will
// not read), never a 5xx, and the breaker does not count it.
func TestClientAbortMidUploadIsNotAServerError(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	h := newHarness(t, options{logs: logs, env: timeoutEnv(map[string]string{
		"BREAKER_FAILURES": "1", "BREAKER_OPEN_TIMEOUT": "30s", "ACCESS_LOG": "true"})})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000f5")
	const fourxx = `gateway_requests_total{class="4xx",upstream="property"}`
	const fivexx = `gateway_requests_total{class="5xx",upstream="property"}`
	conn := h.rawPost("/api/v1/properties/bulk-import", tok, 100000, strings.Repeat("x", 5000))
	// Hang up mid-upload: once the upstream has the request's head, the
	// gateway is forwarding the body.
	testkit.Eventually(t, 5*time.Second, func() bool { return h.ups["property"].arrived.Load() > 0 },
		"the upload never reached the upstream")
	_ = conn.Close()
	testkit.Eventually(t, 5*time.Second, func() bool { return h.metric(fourxx) >= 1 },
		func() string {
			return fmt.Sprintf("the aborted upload was not counted as a 4xx; 5xx = %v", h.metric(fivexx))
		})
	if n := h.metric(fivexx); n != 0 {
		t.Errorf("%s = %v, want 0", fivexx, n)
	}
	expectStatus(t, h.do("GET", "/api/v1/properties", "", bearer(tok)), http.StatusOK)
	// Logged once at info with its cause; no warning, no error.
	out := logs.String()
	if !strings.Contains(out, `"level":"INFO","msg":"client request body failed; upload not forwarded"`) ||
		!strings.Contains(out, `"path":"/api/v1/properties/bulk-import","status":400`) {
		t.Errorf("the abort is not logged at info with its 400:\n%s", out)
	}
	if strings.Contains(out, `"level":"WARN"`) || strings.Contains(out, `"level":"ERROR"`) {
		t.Errorf("a client abort logged a warning or error:\n%s", out)
	}
}

// lockedBuffer collects log records written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestIdempotencyBodyLimitWithoutALength: a body of unknown length that
// carries an Idempotency-Key is held in memory only up to
// IDEMPOTENCY_MAX_BODY; beyond, 413 before anything is forwarded.
func TestIdempotencyBodyLimitWithoutALength(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: map[string]string{"IDEMPOTENCY_MAX_BODY": "4096"}})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000f6")
	conn, err := net.Dial("tcp", h.gw.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_, _ = fmt.Fprintf(conn, "POST /api/v1/leads/import HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer %s\r\n"+
		"Idempotency-Key: import-1\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n", tok)
	go func() { // up to 1 GiB in 4 KiB chunks, until the gateway hangs up
		chunk := "1000\r\n" + strings.Repeat("z", 4096) + "\r\n"
		for range 1 << 18 {
			if _, err := io.WriteString(conn, chunk); err != nil {
				return
			}
		}
	}()
	r := h.readResponse(conn, "/api/v1/leads/import")
	expectProblem(t, r, http.StatusRequestEntityTooLarge, "body_too_large")
	if h.ups["crm"].hits.Load() != 0 {
		t.Error("an oversized idempotent request reached the upstream")
	}
}
