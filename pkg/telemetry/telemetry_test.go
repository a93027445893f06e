package telemetry_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"

	"reos.dev/pkg/telemetry"
	"reos.dev/pkg/testkit"
)

func TestMetricsMiddlewareLabelsByRouteTemplate(t *testing.T) {
	t.Parallel()
	m := telemetry.NewMetrics("test")
	r := mux.NewRouter()
	r.Use(m.Middleware)
	r.HandleFunc("/users/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	r.Handle("/metrics", m.Handler())

	for _, id := range []string{"a", "b", "c"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/users/"+id, nil))
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	want := `http_requests_total{method="GET",route="/users/{id}",service="test",status="418"} 3`
	if !strings.Contains(string(body), want) {
		t.Fatalf("metrics missing %q:\n%s", want, body)
	}
	if strings.Contains(string(body), `route="/users/a"`) {
		t.Fatal("raw path used as a label")
	}
}

func TestSetupWithoutExporterPropagatesTraceContext(t *testing.T) {
	shutdown, err := telemetry.Setup(context.Background(), "test", "")
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	var traceparent string
	h := telemetry.Trace("test")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://x", nil)
		otelPropagate(req)
		traceparent = req.Header.Get("traceparent")
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if !strings.HasPrefix(traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-") {
		t.Fatalf("trace id not continued: %q", traceparent)
	}
}

func TestServePprofOnlyWhenConfigured(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	telemetry.ServePprof(ctx, "", nil) // no address: nothing starts, nil logger untouched

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	telemetry.ServePprof(ctx, addr, slog.New(slog.DiscardHandler))
	var resp *http.Response
	testkit.Eventually(t, 5*time.Second, func() bool {
		resp, err = http.Get("http://" + addr + "/debug/pprof/cmdline")
		return err == nil
	}, func() string { return fmt.Sprintf("pprof not served: %v", err) })
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
}
