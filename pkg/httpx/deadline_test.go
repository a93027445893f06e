package httpx_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/httpx"
)

const idle = 150 * time.Millisecond

// idleServer serves h behind IdleDeadlines(idle, idle) on a real
// connection (deadlines need one).
func idleServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(httpx.IdleDeadlines(idle, idle)(h))
	t.Cleanup(srv.Close)
	return srv
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

func TestIdleDeadlinesLetASteadyUploadRunPastTheIdleTime(t *testing.T) {
	t.Parallel()
	srv := idleServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = fmt.Fprint(w, n)
	})
	// 20 chunks 30 ms apart: 600 ms in all, four idle periods, never a
	// pause of one.
	start := time.Now()
	resp, err := http.Post(srv.URL, "text/plain", &trickle{n: 20, size: 100, gap: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "2000" {
		t.Fatalf("steady upload: %d %s", resp.StatusCode, body)
	}
	if d := time.Since(start); d < 4*idle {
		t.Fatalf("upload took %s; the test meant it to outlast several idle periods", d)
	}
}

func TestIdleDeadlinesEndAStalledUpload(t *testing.T) {
	t.Parallel()
	got := make(chan error, 1)
	srv := idleServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		got <- err
	})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Half of the announced body, then silence.
	_, _ = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("x", 50))
	start := time.Now()
	select {
	case err := <-got:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("stalled body read: %v, want a deadline error", err)
		}
		if d := time.Since(start); d < idle*8/10 || d > idle+time.Second {
			t.Fatalf("stalled body ended after %s, want about %s", d, idle)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stalled upload was not ended")
	}
}

func TestIdleDeadlinesLetASteadyDownloadRunPastTheIdleTime(t *testing.T) {
	t.Parallel()
	srv := idleServer(t, func(w http.ResponseWriter, r *http.Request) {
		for range 20 {
			_, _ = io.WriteString(w, strings.Repeat("y", 100))
			w.(http.Flusher).Flush()
			time.Sleep(30 * time.Millisecond) // a slow, steady server is the scenario
		}
	})
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != 2000 {
		t.Fatalf("steady download: %d bytes, %v", len(b), err)
	}
}

func TestIdleDeadlinesEndAClientThatStopsReading(t *testing.T) {
	t.Parallel()
	type result struct {
		err      error
		sinceOK  time.Duration
		progress int
	}
	got := make(chan result, 1)
	srv := idleServer(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		last := time.Now()
		for i := range 4096 { // 256 MiB: far more than socket buffers hold
			if _, err := w.Write(chunk); err != nil {
				got <- result{err: err, sinceOK: time.Since(last), progress: i}
				return
			}
			last = time.Now()
		}
		got <- result{}
	})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") // and never read
	select {
	case res := <-got:
		if res.err == nil {
			t.Fatal("256 MiB were written to a client that reads nothing")
		}
		if res.sinceOK < idle*8/10 || res.sinceOK > idle+time.Second {
			t.Fatalf("write failed %s after the last one that went through, want about %s (%v)", res.sinceOK, idle, res.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write to a client that stopped reading never failed")
	}
}

// TestIdleDeadlinesLiftTheReadDeadlineAfterTheBody: once the body is read,
// a response may take longer than the idle time without the request being
// cancelled (net/http watches the connection for the client leaving, and a
// read deadline left there would look like it).
func TestIdleDeadlinesLiftTheReadDeadlineAfterTheBody(t *testing.T) {
	t.Parallel()
	srv := idleServer(t, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Error(err)
		}
		// Reading again after the end is allowed (decoders probe for
		// trailing data) and must not arm a deadline.
		if n, err := r.Body.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Errorf("read after the end: %d %v", n, err)
		}
		select {
		case <-r.Context().Done():
			http.Error(w, "cancelled: "+fmt.Sprint(r.Context().Err()), http.StatusServiceUnavailable)
			return
		case <-time.After(3 * idle):
		}
		_, _ = io.WriteString(w, "done")
	})
	resp, err := http.Post(srv.URL, "text/plain", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "done" {
		t.Fatalf("slow answer after a body: %d %s", resp.StatusCode, b)
	}
}

// TestIdleDeadlinesKeepAliveAfterAPause: a deadline left by one request
// must not fail the next on the same connection, however late it comes.
func TestIdleDeadlinesKeepAliveAfterAPause(t *testing.T) {
	t.Parallel()
	srv := idleServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for i := range 2 {
		if i == 1 {
			// The pause is the scenario: the deadlines are on the
			// connection, on the wall clock, and the second request must
			// come after the first one's would have expired.
			time.Sleep(3 * idle)
		}
		_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d on one connection: %v", i+1, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(b) != "ok" {
			t.Fatalf("request %d: %d %q", i+1, resp.StatusCode, b)
		}
	}
}

// TestIdleDeadlinesWithoutAConnection: under a recorder (no connection)
// the middleware stays out of the way.
func TestIdleDeadlinesWithoutAConnection(t *testing.T) {
	t.Parallel()
	h := httpx.IdleDeadlines(idle, idle)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, strconv.Itoa(len(b)))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader("abc")))
	if rec.Body.String() != "3" || !rec.Flushed {
		t.Fatalf("through a recorder: %q flushed=%t", rec.Body.String(), rec.Flushed)
	}
}
