package tests

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// creating answers 201 with a body that differs on every call, so a replay
// can only be byte-identical if it really is the stored response.
func creating(n *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", fmt.Sprintf("/api/v1/leads/%d", i))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%d,"echo":%q,"at":%q}`, i, body, time.Now().Format(time.RFC3339Nano))
	}
}

func TestIdempotentReplay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	var n atomic.Int64
	h.ups["crm"].set(creating(&n))
	alice := h.token("0190a0f0-0000-7000-8000-0000000000c1")
	bob := h.token("0190a0f0-0000-7000-8000-0000000000c2")
	key := header("Idempotency-Key", "lead-create-1")

	first := h.do("POST", "/api/v1/leads", `{"name":"Ann"}`, bearer(alice), key)
	expectStatus(t, first, http.StatusCreated)
	second := h.do("POST", "/api/v1/leads", `{"name":"Ann"}`, bearer(alice), key)
	expectStatus(t, second, http.StatusCreated)
	if !bytes.Equal(first.body, second.body) {
		t.Fatalf("replay differs:\n%s\n%s", first.body, second.body)
	}
	if second.Header.Get("Idempotent-Replayed") != "true" || first.Header.Get("Idempotent-Replayed") != "" {
		t.Error("Idempotent-Replayed must be on the replay only")
	}
	if second.Header.Get("Location") != first.Header.Get("Location") || second.Header.Get("Content-Type") != "application/json" {
		t.Errorf("replayed headers: %v", second.Header)
	}
	if second.Header.Get("Content-Security-Policy") == "" || second.Header.Get("RateLimit") == "" {
		t.Error("a replay lacks the gateway's own headers")
	}
	if n.Load() != 1 {
		t.Fatalf("upstream ran %d times, want 1", n.Load())
	}

	// Same key, different body → 422.
	r := h.do("POST", "/api/v1/leads", `{"name":"Bob"}`, bearer(alice), key)
	expectProblem(t, r, http.StatusUnprocessableEntity, "idempotency_key_reused")
	// Same key and body on another path → also a different request.
	r = h.do("POST", "/api/v1/contacts", `{"name":"Ann"}`, bearer(alice), key)
	expectProblem(t, r, http.StatusUnprocessableEntity, "idempotency_key_reused")

	// Another user with the same key runs their own request.
	other := h.do("POST", "/api/v1/leads", `{"name":"Ann"}`, bearer(bob), key)
	expectStatus(t, other, http.StatusCreated)
	if other.Header.Get("Idempotent-Replayed") != "" || bytes.Equal(other.body, first.body) {
		t.Fatal("another user saw the first user's response")
	}
	if n.Load() != 2 {
		t.Errorf("upstream ran %d times, want 2", n.Load())
	}

	// Requests without the header, or with a safe method, are not affected.
	h.do("POST", "/api/v1/leads", `{"name":"Ann"}`, bearer(alice))
	h.do("GET", "/api/v1/leads", "", bearer(alice), key)
	if n.Load() != 4 {
		t.Errorf("upstream ran %d times, want 4", n.Load())
	}
}

func TestIdempotencyBadKeyAndLargeBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{env: map[string]string{"IDEMPOTENCY_MAX_BODY": "1024"}})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000c3")
	for _, k := range []string{"has space", strings.Repeat("k", 256), "tab\tkey", "é"} {
		r := h.do("PUT", "/api/v1/leads/1", `{}`, bearer(tok), header("Idempotency-Key", k))
		expectProblem(t, r, http.StatusBadRequest, "bad_request")
		if !strings.Contains(string(r.body), `"field":"Idempotency-Key"`) {
			t.Errorf("400 does not name the header: %s", r.body)
		}
	}
	r := h.do("PATCH", "/api/v1/deals/1/stage", strings.Repeat("x", 1025), bearer(tok), header("Idempotency-Key", "big"))
	expectProblem(t, r, http.StatusRequestEntityTooLarge, "body_too_large")
	if h.ups["crm"].hits.Load() != 0 {
		t.Error("a refused request reached the upstream")
	}
}

func TestIdempotencyConcurrentSameKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h.ups["crm"].set(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":1}`)
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000c4")
	key := header("Idempotency-Key", "slow-1")

	first := make(chan response, 1)
	go func() { first <- h.do("POST", "/api/v1/deals", `{"v":1}`, bearer(tok), key) }()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("first request never reached the upstream")
	}
	r := h.do("POST", "/api/v1/deals", `{"v":1}`, bearer(tok), key)
	expectProblem(t, r, http.StatusConflict, "idempotency_request_in_flight")
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", r.Header.Get("Retry-After"))
	}
	close(release)
	expectStatus(t, <-first, http.StatusCreated)
	r = h.do("POST", "/api/v1/deals", `{"v":1}`, bearer(tok), key)
	expectStatus(t, r, http.StatusCreated)
	if r.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("completed request was not replayed")
	}
}

func TestIdempotencyServerErrorReleasesKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	var fail atomic.Bool
	fail.Store(true)
	var n atomic.Int64
	h.ups["crm"].set(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		creating(&atomic.Int64{})(w, r)
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000c5")
	key := header("Idempotency-Key", "retry-me")
	expectStatus(t, h.do("POST", "/api/v1/leads", `{}`, bearer(tok), key), http.StatusInternalServerError)
	fail.Store(false)
	r := h.do("POST", "/api/v1/leads", `{}`, bearer(tok), key)
	expectStatus(t, r, http.StatusCreated)
	if r.Header.Get("Idempotent-Replayed") != "" || n.Load() != 2 {
		t.Fatalf("the retry after a 5xx did not run (replayed=%q, upstream calls %d)", r.Header.Get("Idempotent-Replayed"), n.Load())
	}
	// A 4xx answer, on the other hand, is the request's final answer.
	h.ups["crm"].set(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = io.WriteString(w, `{"type":"x","status":422}`)
	})
	k2 := header("Idempotency-Key", "final-4xx")
	expectStatus(t, h.do("POST", "/api/v1/leads", `{}`, bearer(tok), k2), http.StatusUnprocessableEntity)
	r = h.do("POST", "/api/v1/leads", `{}`, bearer(tok), k2)
	if r.StatusCode != http.StatusUnprocessableEntity || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("4xx replay: %d replayed=%q", r.StatusCode, r.Header.Get("Idempotent-Replayed"))
	}
}

func TestIdempotencyAnonymousScopeIsTheClientIP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{upstreams: []string{"outreach"}})
	var n atomic.Int64
	h.ups["outreach"].set(creating(&n))
	key := header("Idempotency-Key", "unsubscribe-1")
	const path = "/api/v1/compliance/unsubscribe"
	a := h.do("POST", path, `{"token":"t"}`, key, header("X-Forwarded-For", "192.0.2.10"))
	b := h.do("POST", path, `{"token":"t"}`, key, header("X-Forwarded-For", "192.0.2.10"))
	c := h.do("POST", path, `{"token":"t"}`, key, header("X-Forwarded-For", "192.0.2.11"))
	if b.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(a.body, b.body) {
		t.Error("same client IP was not replayed")
	}
	if c.Header.Get("Idempotent-Replayed") != "" || n.Load() != 2 {
		t.Error("another client IP shared the first one's key")
	}
}

// TestIdempotencyNeverStoresCredentials: the answers of the routes that
// take or hand out credentials (tokens, passwords) are never kept; a
// request to one with an Idempotency-Key is served as if it had none.
func TestIdempotencyNeverStoresCredentials(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	var n atomic.Int64
	h.ups["identity"].set(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"a%d","refresh_token":"r%d","key":%q}`, i, i, r.Header.Get("Idempotency-Key"))
	})
	tok := h.token("0190a0f0-0000-7000-8000-0000000000c9")
	tests := []struct {
		method, path string
		opts         []reqOpt
	}{
		{"POST", "/api/v1/auth/login", nil},
		{"POST", "/api/v1/auth/register", nil},
		{"POST", "/api/v1/auth/refresh", nil},
		{"POST", "/api/v1/auth/logout", nil},
		{"POST", "/api/v1/auth/password", []reqOpt{bearer(tok)}},
		{"POST", "/api/v1/admin/users/0190a0f0-0000-7000-8000-0000000000ca/reset-password", []reqOpt{bearer(tok)}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			opts := append([]reqOpt{header("Idempotency-Key", "same-key")}, tc.opts...)
			before := n.Load()
			a := h.do(tc.method, tc.path, `{"email":"a@x.test","password":"p"}`, opts...)
			b := h.do(tc.method, tc.path, `{"email":"a@x.test","password":"p"}`, opts...)
			expectStatus(t, a, http.StatusOK)
			expectStatus(t, b, http.StatusOK)
			if n.Load()-before != 2 || bytes.Equal(a.body, b.body) {
				t.Fatalf("identity answered %d of 2; bodies %s and %s", n.Load()-before, a.body, b.body)
			}
			if a.Header.Get("Idempotent-Replayed") != "" || b.Header.Get("Idempotent-Replayed") != "" {
				t.Error("a credential answer was marked as a replay")
			}
			if strings.Contains(string(b.body), "same-key") {
				t.Error("the Idempotency-Key reached identity: the request was not served as if it had none")
			}
			if cc := b.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store on an answer carrying credentials", cc)
			}
		})
	}
	var stored int
	if err := h.pool.QueryRow(t.Context(), `SELECT count(*) FROM gateway.idempotency_keys`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("%d idempotency rows stored for credential routes, want none", stored)
	}
}
