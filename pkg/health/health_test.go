package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reos.dev/pkg/health"
	"reos.dev/pkg/testkit"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func get(t *testing.T, h http.Handler, path string) (int, health.Report, http.Header) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var report health.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &report); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
	}
	return rec.Code, report, rec.Header()
}

func TestReadyzWithRealDependencies(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	client, _ := testkit.Redis(t)
	brokers := testkit.Brokers(t)

	badRedis := redis.NewClient(&redis.Options{Addr: closedAddr(t), MaxRetries: -1})
	t.Cleanup(func() { badRedis.Close() })

	tests := []struct {
		name       string
		checks     map[string]health.CheckFunc
		wantStatus int
		wantFailed []string
	}{
		{
			name: "all up",
			checks: map[string]health.CheckFunc{
				"postgres": health.PingPostgres(db.Pool(t, "")),
				"redis":    health.PingRedis(client),
				"kafka":    health.DialKafka(brokers),
			},
			wantStatus: http.StatusOK,
		},
		{
			name: "redis down",
			checks: map[string]health.CheckFunc{
				"postgres": health.PingPostgres(db.Pool(t, "")),
				"redis":    health.PingRedis(badRedis),
			},
			wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"redis"},
		},
		{
			name: "broker down",
			checks: map[string]health.CheckFunc{
				"kafka": health.DialKafka([]string{closedAddr(t)}),
			},
			wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"kafka"},
		},
		{
			name: "first broker down, second up",
			checks: map[string]health.CheckFunc{
				"kafka": health.DialKafka(append([]string{closedAddr(t)}, brokers...)),
			},
			wantStatus: http.StatusOK,
		},
		{
			name: "no brokers",
			checks: map[string]health.CheckFunc{
				"kafka": health.DialKafka(nil),
			},
			wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"kafka"},
		},
		{
			name: "listening but not Kafka",
			checks: map[string]health.CheckFunc{
				// Redis accepts the TCP connection but cannot answer a
				// metadata request: a plain dial would wrongly pass.
				"kafka": health.DialKafka([]string{client.Options().Addr}),
			},
			wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"kafka"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := health.New(discard())
			for name, fn := range tt.checks {
				c.Add(name, fn)
			}
			code, report, hdr := get(t, c.Readyz(), "/readyz")
			if code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %+v)", code, tt.wantStatus, report)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if len(report.Checks) != len(tt.checks) {
				t.Errorf("report has %d checks, want %d", len(report.Checks), len(tt.checks))
			}
			failed := map[string]bool{}
			for _, n := range tt.wantFailed {
				failed[n] = true
			}
			for name, res := range report.Checks {
				switch {
				case failed[name] && (res.Status != health.StatusUnavailable || res.Error == ""):
					t.Errorf("check %s = %+v, want unavailable with an error", name, res)
				case !failed[name] && (res.Status != health.StatusOK || res.Error != ""):
					t.Errorf("check %s = %+v, want ok", name, res)
				}
			}
			wantOverall := health.StatusOK
			if len(tt.wantFailed) > 0 {
				wantOverall = health.StatusUnavailable
			}
			if report.Status != wantOverall {
				t.Errorf("overall status = %q, want %q", report.Status, wantOverall)
			}
		})
	}
}

func TestReadyzBodyShape(t *testing.T) {
	t.Parallel()
	c := health.New(discard())
	c.Add("db", func(context.Context) error { return errors.New("connection refused") })
	rec := httptest.NewRecorder()
	c.Readyz().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d", rec.Code)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	check, _ := body["checks"].(map[string]any)["db"].(map[string]any)
	if body["status"] != "unavailable" || check["status"] != "unavailable" || check["error"] != "connection refused" {
		t.Errorf("body = %s", rec.Body)
	}
	if _, ok := check["latency_ms"].(float64); !ok {
		t.Errorf("latency_ms missing from %s", rec.Body)
	}
}

func TestChecksRunConcurrentlyWithTimeout(t *testing.T) {
	t.Parallel()
	c := health.New(discard())
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	// A check that ignores its context (it sleeps past any deadline) is the
	// scenario: Check must not wait for it.
	ignore := func(context.Context) error { time.Sleep(10 * time.Second); return nil }
	panics := func(context.Context) error { panic("oops") }
	c.Add("hangs", hang)
	c.Add("ignores ctx", ignore)
	c.Add("panics", panics)
	c.Add("fine", func(context.Context) error { return nil })

	start := time.Now()
	report := c.Check(context.Background())
	elapsed := time.Since(start)
	// Three slow checks run one after another would take at least 2 × 2 s.
	if elapsed > health.CheckTimeout+time.Second {
		t.Errorf("Check took %s, want about %s: checks must run concurrently and time out", elapsed, health.CheckTimeout)
	}
	for _, name := range []string{"hangs", "ignores ctx", "panics"} {
		if res := report.Checks[name]; res.Status != health.StatusUnavailable {
			t.Errorf("check %q = %+v, want unavailable", name, res)
		}
	}
	if !strings.Contains(report.Checks["panics"].Error, "oops") {
		t.Errorf("panics error = %q", report.Checks["panics"].Error)
	}
	if report.Checks["fine"].Status != health.StatusOK || report.Status != health.StatusUnavailable {
		t.Errorf("report = %+v", report)
	}
}

func TestHealthzAlwaysOK(t *testing.T) {
	t.Parallel()
	c := health.New(discard())
	c.Add("down", func(context.Context) error { return errors.New("down") })
	srv := httptest.NewServer(c.Healthz())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Errorf("healthz = %d %s", resp.StatusCode, body)
	}
}

func TestNoChecksIsReady(t *testing.T) {
	t.Parallel()
	code, report, _ := get(t, health.New(discard()).Readyz(), "/readyz")
	if code != http.StatusOK || report.Status != health.StatusOK {
		t.Errorf("readyz with no checks = %d %+v", code, report)
	}
}

func TestWiringMistakesPanic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func()
	}{
		{name: "nil logger", fn: func() { health.New(nil) }},
		{name: "empty name", fn: func() { health.New(discard()).Add("", func(context.Context) error { return nil }) }},
		{name: "nil check", fn: func() { health.New(discard()).Add("x", nil) }},
		{name: "duplicate", fn: func() {
			c := health.New(discard())
			c.Add("x", func(context.Context) error { return nil })
			c.Add("x", func(context.Context) error { return nil })
		}},
		{name: "nil pool", fn: func() { health.PingPostgres(nil) }},
		{name: "nil redis", fn: func() { health.PingRedis(nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tt.fn()
		})
	}
}
