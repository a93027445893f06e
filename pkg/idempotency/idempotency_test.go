package idempotency_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/idempotency"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
)

const table = "idem.idempotency_keys"

func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	db := testkit.NewDatabase(t)
	db.Migrate(t, "idem", "idempotency_schema_migrations", idempotency.Migrations)
	return db.Pool(t, "")
}

func newStore(t *testing.T, pool *pgxpool.Pool, cfg idempotency.StoreConfig) *idempotency.Store {
	t.Helper()
	cfg.Table = table
	s, err := idempotency.NewStore(pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func req(scope, key, body string) idempotency.Request {
	return idempotency.Request{
		Scope: scope, Key: key, Method: http.MethodPost, Path: "/things",
		Fingerprint: idempotency.NewFingerprint(http.MethodPost, "/things", "", []byte(body)),
	}
}

func TestNewStoreValidates(t *testing.T) {
	t.Parallel()
	if _, err := idempotency.NewStore(nil, idempotency.StoreConfig{Table: table}); err == nil {
		t.Error("nil pool accepted")
	}
	pool := &pgxpool.Pool{}
	for _, tbl := range []string{"", "nodot", ".t", "s.", "a.b.c"} {
		if _, err := idempotency.NewStore(pool, idempotency.StoreConfig{Table: tbl}); err == nil {
			t.Errorf("table %q accepted", tbl)
		}
	}
}

func TestFingerprintSeparatesFields(t *testing.T) {
	t.Parallel()
	a := idempotency.NewFingerprint("POST", "/a", "b=1", []byte("x"))
	for _, other := range []idempotency.Fingerprint{
		idempotency.NewFingerprint("PUT", "/a", "b=1", []byte("x")),
		idempotency.NewFingerprint("POST", "/a/", "b=1", []byte("x")),
		idempotency.NewFingerprint("POST", "/a", "b=2", []byte("x")),
		idempotency.NewFingerprint("POST", "/a", "b=1", []byte("y")),
		idempotency.NewFingerprint("POST", "/ab", "=1", []byte("x")), // bytes shifted between fields
	} {
		if other == a {
			t.Error("two different requests share a fingerprint")
		}
	}
	if a != idempotency.NewFingerprint("POST", "/a", "b=1", []byte("x")) {
		t.Error("fingerprint is not deterministic")
	}
}

func TestStoreLifecycle(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	s := newStore(t, pool, idempotency.StoreConfig{})
	ctx := t.Context()

	r := req("user:1", "k1", "body")
	c, err := s.Claim(ctx, r)
	if err != nil || c.Outcome != idempotency.Claimed {
		t.Fatalf("first claim: %v %v", c.Outcome, err)
	}
	if c2, err := s.Claim(ctx, r); err != nil || c2.Outcome != idempotency.InFlight {
		t.Fatalf("second claim while running: %v %v", c2.Outcome, err)
	}
	if c2, err := s.Claim(ctx, req("user:1", "k1", "other body")); err != nil || c2.Outcome != idempotency.Mismatch {
		t.Fatalf("claim with another body: %v %v", c2.Outcome, err)
	}
	if c2, err := s.Claim(ctx, req("user:2", "k1", "body")); err != nil || c2.Outcome != idempotency.Claimed {
		t.Fatalf("another scope, same key: %v %v", c2.Outcome, err)
	}

	resp := idempotency.Response{Status: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"id":1}`)}
	if err := s.Complete(ctx, r, c.Token, resp); err != nil {
		t.Fatal(err)
	}
	got, err := s.Claim(ctx, r)
	if err != nil || got.Outcome != idempotency.Completed {
		t.Fatalf("claim after completion: %v %v", got.Outcome, err)
	}
	if got.Response.Status != 201 || string(got.Response.Body) != `{"id":1}` || got.Response.Header.Get("Content-Type") != "application/json" {
		t.Errorf("stored response = %+v", got.Response)
	}
	// A completed key cannot be released or completed again by its old token.
	if err := s.Release(ctx, r, c.Token); !errors.Is(err, idempotency.ErrLostClaim) {
		t.Errorf("release of a completed key: %v, want ErrLostClaim", err)
	}
}

func TestStoreReleaseLetsRetryRun(t *testing.T) {
	t.Parallel()
	s := newStore(t, newPool(t), idempotency.StoreConfig{})
	ctx := t.Context()
	r := req("ip:10.0.0.1", "k", "b")
	c, err := s.Claim(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, r, c.Token); err != nil {
		t.Fatal(err)
	}
	// After a release even a different body may use the key.
	if c2, err := s.Claim(ctx, req("ip:10.0.0.1", "k", "other")); err != nil || c2.Outcome != idempotency.Claimed {
		t.Fatalf("claim after release: %v %v", c2.Outcome, err)
	}
}

func TestStoreExpiryAndAbandonedClaims(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	s := newStore(t, pool, idempotency.StoreConfig{LockTimeout: time.Minute})
	ctx := t.Context()

	done := req("u", "expired", "b")
	c, _ := s.Claim(ctx, done)
	if err := s.Complete(ctx, done, c.Token, idempotency.Response{Status: 200, Body: []byte("old")}); err != nil {
		t.Fatal(err)
	}
	stuck := req("u", "stuck", "b")
	old, _ := s.Claim(ctx, stuck)
	// Age the rows instead of sleeping.
	if _, err := pool.Exec(ctx, `UPDATE `+table+` SET expires_at = now() - interval '1 second' WHERE key = 'expired'`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE `+table+` SET locked_at = now() - interval '2 minutes' WHERE key = 'stuck'`); err != nil {
		t.Fatal(err)
	}

	if c2, err := s.Claim(ctx, req("u", "expired", "new body")); err != nil || c2.Outcome != idempotency.Claimed {
		t.Errorf("expired key: %v %v, want claimed", c2.Outcome, err)
	}
	taken, err := s.Claim(ctx, stuck)
	if err != nil || taken.Outcome != idempotency.Claimed {
		t.Fatalf("abandoned claim: %v %v, want claimed", taken.Outcome, err)
	}
	// The original, slow request can no longer overwrite its successor.
	if err := s.Complete(ctx, stuck, old.Token, idempotency.Response{Status: 200}); !errors.Is(err, idempotency.ErrLostClaim) {
		t.Errorf("complete by the abandoned request: %v, want ErrLostClaim", err)
	}
	if err := s.Complete(ctx, stuck, taken.Token, idempotency.Response{Status: 204}); err != nil {
		t.Errorf("complete by the new owner: %v", err)
	}
}

func TestStorePurge(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	s := newStore(t, pool, idempotency.StoreConfig{})
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c"} {
		if _, err := s.Claim(ctx, req("u", k, "")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE `+table+` SET expires_at = now() - interval '1 hour' WHERE key <> 'c'`); err != nil {
		t.Fatal(err)
	}
	n, err := s.Purge(ctx, 1)
	if err != nil || n != 1 {
		t.Fatalf("Purge(1) = %d, %v", n, err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.RunPurger(runCtx, time.Hour, logging.Discard()); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	var left int
	var countErr error
	testkit.Eventually(t, 5*time.Second, func() bool {
		countErr = pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&left)
		return countErr == nil && left == 1
	}, func() string {
		return fmt.Sprintf("%d rows left after purging (%v), want 1 (the unexpired one)", left, countErr)
	})
}

func TestStoreConcurrentClaimsOneWinner(t *testing.T) {
	t.Parallel()
	s := newStore(t, newPool(t), idempotency.StoreConfig{})
	var claimed, inFlight atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c, err := s.Claim(context.Background(), req("u", "race", "b"))
			if err != nil {
				t.Error(err)
				return
			}
			switch c.Outcome {
			case idempotency.Claimed:
				claimed.Add(1)
			case idempotency.InFlight:
				inFlight.Add(1)
			}
		})
	}
	wg.Wait()
	if claimed.Load() != 1 || inFlight.Load() != 7 {
		t.Errorf("claimed %d, in flight %d; want 1 and 7", claimed.Load(), inFlight.Load())
	}
}

// --- HTTP handler -----------------------------------------------------------

type fixture struct {
	h     *idempotency.Handler
	calls atomic.Int32
	srv   http.Handler
}

func newFixture(t *testing.T, next http.HandlerFunc) *fixture {
	t.Helper()
	s := newStore(t, newPool(t), idempotency.StoreConfig{})
	h, err := idempotency.NewHandler(idempotency.HandlerConfig{Store: s, Logger: logging.Discard(), MaxBody: 1024})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{h: h}
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		next(w, r)
	})
	f.srv = h.Middleware(func(r *http.Request) string { return r.Header.Get("X-Test-User") })(counted)
	return f
}

func (f *fixture) do(method, user, key, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/things?x=1", strings.NewReader(body))
	r.Header.Set("X-Test-User", user)
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", "/things/1")
	w.Header().Set("X-Not-Stored", "1")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"echo":"` + string(b) + `","n":"` + time.Now().Format(time.RFC3339Nano) + `"}`))
}

func TestHandlerReplaysByteForByte(t *testing.T) {
	t.Parallel()
	f := newFixture(t, echo)
	first := f.do("POST", "alice", "key-1", "hello")
	if first.Code != 201 {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	second := f.do("POST", "alice", "key-1", "hello")
	if second.Code != 201 || !bytes.Equal(first.Body.Bytes(), second.Body.Bytes()) {
		t.Fatalf("replay differs: %d %q vs %q", second.Code, second.Body, first.Body)
	}
	if second.Header().Get("Idempotent-Replayed") != "true" || first.Header().Get("Idempotent-Replayed") != "" {
		t.Error("Idempotent-Replayed must mark only the replay")
	}
	if second.Header().Get("Location") != "/things/1" || second.Header().Get("Content-Type") != "application/json" {
		t.Errorf("replayed headers: %v", second.Header())
	}
	if second.Header().Get("X-Not-Stored") != "" {
		t.Error("a header outside the stored list was replayed")
	}
	if f.calls.Load() != 1 {
		t.Errorf("handler ran %d times, want 1", f.calls.Load())
	}
	// Another user with the same key runs their own request.
	other := f.do("POST", "bob", "key-1", "hello")
	if other.Header().Get("Idempotent-Replayed") != "" || f.calls.Load() != 2 {
		t.Error("another scope saw the first scope's response")
	}
}

func TestHandlerRejections(t *testing.T) {
	t.Parallel()
	f := newFixture(t, echo)
	if w := f.do("POST", "a", "k", "one"); w.Code != 201 {
		t.Fatal(w.Code)
	}
	tests := []struct {
		name, key, body string
		want            int
		reason          string
	}{
		{name: "different body", key: "k", body: "two", want: 422, reason: "idempotency_key_reused"},
		{name: "key with space", key: "a b", body: "x", want: 400, reason: "bad_request"},
		{name: "key too long", key: strings.Repeat("k", 256), body: "x", want: 400, reason: "bad_request"},
		{name: "body too large", key: "big", body: strings.Repeat("x", 1025), want: 413, reason: "body_too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do("POST", "a", tc.key, tc.body)
			if w.Code != tc.want || !strings.Contains(w.Body.String(), tc.reason) {
				t.Errorf("got %d %s, want %d %s", w.Code, w.Body, tc.want, tc.reason)
			}
			if tc.want == 400 && !strings.Contains(w.Body.String(), `"field":"Idempotency-Key"`) {
				t.Errorf("400 does not name the header: %s", w.Body)
			}
		})
	}
	r := httptest.NewRequest("POST", "/things", strings.NewReader("x"))
	r.Header.Add("Idempotency-Key", "a")
	r.Header.Add("Idempotency-Key", "b")
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	if w.Code != 400 {
		t.Errorf("two keys: %d", w.Code)
	}
}

func TestHandlerSkipsSafeMethodsAndKeylessRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, echo)
	f.do("GET", "a", "k", "")
	f.do("GET", "a", "k", "")
	f.do("POST", "a", "", "x")
	f.do("POST", "a", "", "x")
	if f.calls.Load() != 4 {
		t.Errorf("calls = %d, want 4", f.calls.Load())
	}
}

func TestHandlerInFlightConflict(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(204)
	})
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- f.do("PUT", "a", "slow", "b") }()
	<-entered
	w := f.do("PUT", "a", "slow", "b")
	if w.Code != 409 || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), "idempotency_request_in_flight") {
		t.Errorf("concurrent: %d %v %s", w.Code, w.Header(), w.Body)
	}
	close(release)
	if first := <-done; first.Code != 204 {
		t.Errorf("first: %d", first.Code)
	}
	if w := f.do("PUT", "a", "slow", "b"); w.Code != 204 || w.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("after completion: %d %v", w.Code, w.Header())
	}
}

func TestHandlerReleasesOnServerErrorAndPanic(t *testing.T) {
	t.Parallel()
	var mode atomic.Value
	mode.Store("fail")
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case "fail":
			w.WriteHeader(503)
		case "panic":
			panic("boom")
		default:
			w.WriteHeader(200)
			_, _ = w.Write([]byte("ok"))
		}
	})
	if w := f.do("DELETE", "a", "k", ""); w.Code != 503 {
		t.Fatal(w.Code)
	}
	mode.Store("panic")
	func() {
		defer func() { _ = recover() }()
		f.do("DELETE", "a", "k", "")
	}()
	mode.Store("ok")
	w := f.do("DELETE", "a", "k", "")
	if w.Code != 200 || w.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry after 5xx and panic: %d %v", w.Code, w.Header())
	}
	if f.calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", f.calls.Load())
	}
}

func TestHandlerStoreDown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, "postgres://nobody:x@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s, err := idempotency.NewStore(pool, idempotency.StoreConfig{Table: table})
	if err != nil {
		t.Fatal(err)
	}
	h, err := idempotency.NewHandler(idempotency.HandlerConfig{Store: s, Logger: logging.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	srv := h.Middleware(func(*http.Request) string { return "u" })(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
	r := httptest.NewRequest("POST", "/x", strings.NewReader("b"))
	r.Header.Set("Idempotency-Key", "k")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	if w.Code != 503 || ran {
		t.Errorf("store down: %d, handler ran=%t; want 503 and not forwarded", w.Code, ran)
	}
}

func TestNewHandlerRejectsNil(t *testing.T) {
	t.Parallel()
	if _, err := idempotency.NewHandler(idempotency.HandlerConfig{Logger: logging.Discard()}); err == nil {
		t.Error("nil store accepted")
	}
}

func FuzzValidateKey(f *testing.F) {
	for _, s := range []string{"", "a", "abc-123", "a b", "ä", strings.Repeat("x", 256), "\x7f", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := idempotency.ValidateKey(key)
		ok := len(key) >= 1 && len(key) <= 255
		for i := 0; i < len(key); i++ {
			if key[i] < 0x21 || key[i] > 0x7e {
				ok = false
			}
		}
		if (err == nil) != ok {
			t.Fatalf("ValidateKey(%q) = %v, want ok=%t", key, err, ok)
		}
	})
}

// TestHandlerNeverStoresNoStoreAnswers: a success the service marks
// Cache-Control: no-store (a token answer, RFC 6749 §5.1) is not kept; a
// retry with the key runs again and is not marked as a replay. A problem
// document also says no-store (so HTTP caches skip errors) but carries
// no secret: it is still stored and replayed.
func TestHandlerNeverStoresNoStoreAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		status       int
		cacheControl string
		wantReplay   bool
	}{
		{name: "token answer", status: 200, cacheControl: "no-store", wantReplay: false},
		{name: "no-store among directives", status: 201, cacheControl: "private, No-Store", wantReplay: false},
		{name: "no-cache is storable", status: 200, cacheControl: "no-cache", wantReplay: true},
		{name: "problem document", status: 409, cacheControl: "no-store", wantReplay: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", tc.cacheControl)
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`{"token":"t` + string(rune('0'+n.Add(1))) + `"}`))
			})
			first := f.do("POST", "a", "k", "b")
			second := f.do("POST", "a", "k", "b")
			if first.Code != tc.status || second.Code != tc.status {
				t.Fatalf("statuses %d, %d", first.Code, second.Code)
			}
			replayed := second.Header().Get("Idempotent-Replayed") == "true"
			if replayed != tc.wantReplay {
				t.Fatalf("replayed = %t, want %t (bodies %s, %s)", replayed, tc.wantReplay, first.Body, second.Body)
			}
			if want := map[bool]int32{true: 1, false: 2}[tc.wantReplay]; f.calls.Load() != want {
				t.Errorf("handler ran %d times, want %d", f.calls.Load(), want)
			}
		})
	}
}

// TestHandlerStoresOnlyWhatItCanReplay: an answer larger than MaxBody and a
// stream are passed through whole but never stored, so a retry with the
// same key runs again instead of replaying a truncated body; an
// informational 1xx before the answer is forwarded, and the final answer
// is what is stored.
func TestHandlerStoresOnlyWhatItCanReplay(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 2048) // MaxBody of the fixture is 1024
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		body     string
		replayed bool
	}{
		{"an answer over the limit", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(big[:1000]))
			_, _ = w.Write([]byte(big[1000:]))
		}, big, false},
		{"a stream", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = w.Write([]byte("data: one\n\n"))
			http.NewResponseController(w).Flush()
		}, "data: one\n\n", false},
		{"a flush before the header", func(w http.ResponseWriter, _ *http.Request) {
			http.NewResponseController(w).Flush()
			_, _ = w.Write([]byte("ok"))
		}, "ok", true},
		{"an informational answer first", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte("made"))
		}, "made", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.handler)
			first := f.do("POST", "alice", "k-1", "")
			if first.Body.String() != tc.body {
				t.Fatalf("first answer %q, want %q passed through whole", first.Body, tc.body)
			}
			second := f.do("POST", "alice", "k-1", "")
			if got := second.Header().Get("Idempotent-Replayed") == "true"; got != tc.replayed {
				t.Fatalf("second answer replayed = %v, want %v", got, tc.replayed)
			}
			wantCalls := int32(2)
			if tc.replayed {
				wantCalls = 1
			}
			if f.calls.Load() != wantCalls || second.Body.String() != tc.body {
				t.Fatalf("handler ran %d times (want %d); second body %q", f.calls.Load(), wantCalls, second.Body)
			}
		})
	}
}
