package svcclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/svcclient"
	"reos.dev/pkg/testkit"
)

const (
	userID = "01900000-0000-7000-8000-0000000000a1"
	orgID  = "01900000-0000-7000-8000-0000000000b1"
)

func newClient(t *testing.T, url string, mod func(*svcclient.Config)) *svcclient.Client {
	t.Helper()
	cfg := svcclient.Config{Target: "property", BaseURL: url, Logger: logging.Discard()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := svcclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// callerCtx is the context of a request that auth.Middleware let through.
func callerCtx(token string) context.Context {
	return logging.WithRequestID(auth.WithBearer(context.Background(), token), "req-42")
}

// TestCallActsAsTheCaller: the callee, behind the real auth middleware, sees
// the calling user (org and permissions from the user's own token), the
// request id and the trace of the calling request.
func TestCallActsAsTheCaller(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	tokens := testkit.NewTokens(t)
	var seen struct {
		principal auth.Principal
		requestID string
		trace     string
	}
	callee := http.NewServeMux()
	callee.HandleFunc("GET /api/v1/properties/{id}", func(w http.ResponseWriter, r *http.Request) {
		seen.principal, _ = auth.PrincipalFrom(r.Context())
		seen.requestID = r.Header.Get(httpx.HeaderRequestID)
		seen.trace = r.Header.Get("traceparent")
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	srv := httptest.NewServer(auth.Middleware(tokens.Verifier(), logging.Discard())(callee))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, nil)

	ctx, span := tp.Tracer("test").Start(callerCtx(tokens.Access(t, userID, orgID, "properties:read")), "caller")
	defer span.End()
	var out struct{ ID string }
	if err := c.Get(ctx, "/api/v1/properties/p1", &out); err != nil {
		t.Fatal(err)
	}
	if out.ID != "p1" {
		t.Fatalf("decoded %+v", out)
	}
	if seen.principal.UserID != userID || seen.principal.OrgID != orgID || !seen.principal.Can("properties:read") || seen.principal.Can("properties:write") {
		t.Fatalf("callee saw principal %+v, want the caller with exactly their permissions", seen.principal)
	}
	if seen.requestID != "req-42" {
		t.Fatalf("callee saw request id %q", seen.requestID)
	}
	if want := span.SpanContext().TraceID().String(); !strings.Contains(seen.trace, want) {
		t.Fatalf("callee saw traceparent %q, want trace %s", seen.trace, want)
	}
}

func TestCallWithoutCallerTokenSendsNothing(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	err := newClient(t, srv.URL, nil).Get(context.Background(), "/x", nil)
	if err == nil || hits.Load() != 0 {
		t.Fatalf("err %v, %d requests sent; want a refusal before sending", err, hits.Load())
	}
}

func TestPathMustBeAPath(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, nil)
	for _, p := range []string{"http://evil.test/x", "//evil.test/x"} {
		if err := c.Get(callerCtx("tok"), p, nil); err == nil {
			t.Errorf("%q: accepted", p)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests reached a server", hits.Load())
	}
}

// TestProblemAnswers: a callee's 4xx problem becomes a CallError that
// unwraps to the kind of its status with the callee's reason and fields,
// and 4xx answers never open the breaker.
func TestProblemAnswers(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/missing":
			httpx.WriteError(w, r, nil, apperr.NotFound("property_not_found", "no such property"))
		case "/invalid":
			httpx.WriteError(w, r, nil, apperr.Invalid("list_price_cents", "must be positive"))
		default:
			http.Error(w, "teapot", http.StatusTeapot)
		}
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(cfg *svcclient.Config) { cfg.BreakerFailures = 2 })

	err := c.Get(callerCtx("tok"), "/missing", nil)
	var ce *svcclient.CallError
	if !errors.As(err, &ce) || ce.Status != http.StatusNotFound || !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("404: got %v", err)
	}
	if e, _ := apperr.As(err); e.Reason != "property_not_found" || e.Message != "no such property" {
		t.Fatalf("404: apperr %+v", e)
	}

	err = c.Get(callerCtx("tok"), "/invalid", nil)
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "list_price_cents" {
		t.Fatalf("422: got %v (%+v)", err, e)
	}

	err = c.Get(callerCtx("tok"), "/plain", nil)
	if !errors.As(err, &ce) || ce.Status != http.StatusTeapot || apperr.KindOf(err) != apperr.KindUnknown {
		t.Fatalf("418 without a problem: got %v", err)
	}
	for range 3 {
		_ = c.Get(callerCtx("tok"), "/missing", nil)
	}
	if got := hits.Load(); got != 6 {
		t.Fatalf("%d of 6 calls reached the callee: 4xx answers opened the breaker", got)
	}
}

// TestBreaker: consecutive 5xx answers open the breaker, which then fails
// fast without calling; after its open period one trial call goes through
// and, succeeding, closes it.
func TestBreaker(t *testing.T) {
	t.Parallel()
	var hits, healthy atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if healthy.Load() == 0 {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	const failures = 3
	c := newClient(t, srv.URL, func(cfg *svcclient.Config) {
		cfg.BreakerFailures = failures
		cfg.BreakerOpenFor = 100 * time.Millisecond
	})
	for i := range failures {
		err := c.Get(callerCtx("tok"), "/x", nil)
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindUnavailable || e.Reason != svcclient.ReasonDependencyUnavailable ||
			!strings.Contains(e.Message, "property") {
			t.Fatalf("5xx call %d: got %v, want unavailable naming the target", i, err)
		}
	}
	err := c.Get(callerCtx("tok"), "/x", nil)
	if apperr.KindOf(err) != apperr.KindUnavailable || !strings.Contains(err.Error(), "circuit open") {
		t.Fatalf("after %d failures: %v, want circuit open", failures, err)
	}
	if got := hits.Load(); got != failures {
		t.Fatalf("the open breaker let a call through: %d hits", got)
	}
	healthy.Store(1)
	testkit.Eventually(t, 5*time.Second, func() bool { return c.Get(callerCtx("tok"), "/x", nil) == nil },
		"the breaker lets a trial call through after its open period")
	if err := c.Get(callerCtx("tok"), "/x", nil); err != nil {
		t.Fatalf("after a successful trial the breaker is not closed: %v", err)
	}
}

func TestTimeoutsAndCancellation(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c := newClient(t, srv.URL, func(cfg *svcclient.Config) {
		cfg.Timeout = 50 * time.Millisecond
		cfg.BreakerFailures = 1
	})

	// The caller giving up is not the callee's failure: the breaker stays closed.
	ctx, cancel := context.WithCancel(callerCtx("tok"))
	cancel()
	if err := c.Get(ctx, "/slow", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	err := c.Get(callerCtx("tok"), "/slow", nil)
	if apperr.KindOf(err) != apperr.KindUnavailable || strings.Contains(err.Error(), "circuit open") {
		t.Fatalf("slow callee: %v, want unavailable (timeout) with the breaker closed before it", err)
	}
	if err := c.Get(callerCtx("tok"), "/slow", nil); !strings.Contains(err.Error(), "circuit open") {
		t.Fatalf("after a timeout with BreakerFailures 1: %v, want circuit open", err)
	}
}

func TestAnswerSizeIsBounded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`"` + strings.Repeat("a", 100) + `"`))
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(cfg *svcclient.Config) { cfg.MaxResponseBytes = 64 })
	var s string
	if err := c.Get(callerCtx("tok"), "/big", &s); apperr.KindOf(err) != apperr.KindUnavailable {
		t.Fatalf("oversized answer: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  svcclient.Config
		want string
	}{
		{"no target", svcclient.Config{BaseURL: "http://x", Logger: logging.Discard()}, "Target"},
		{"relative url", svcclient.Config{Target: "p", BaseURL: "x/y", Logger: logging.Discard()}, "BaseURL"},
		{"no logger", svcclient.Config{Target: "p", BaseURL: "http://x"}, "Logger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := svcclient.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestKindOfStatusInvertsStatusOf(t *testing.T) {
	t.Parallel()
	for _, k := range []apperr.Kind{apperr.KindNotFound, apperr.KindConflict, apperr.KindForbidden, apperr.KindUnauthorized,
		apperr.KindTooManyRequests, apperr.KindUnavailable, apperr.KindTooLarge, apperr.KindBadRequest} {
		if got := svcclient.KindOfStatus(httpx.StatusOf(k)); got != k {
			t.Errorf("KindOfStatus(StatusOf(%s)) = %s", k, got)
		}
	}
	if got := svcclient.KindOfStatus(http.StatusUnprocessableEntity); got != apperr.KindInvalid {
		t.Errorf("422 → %s, want invalid", got)
	}
}
