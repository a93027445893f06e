package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reos.dev/pkg/apperr"
)

// jwksServer plays identity's /.well-known/jwks.json and counts fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64
	// arrived receives a value when a fetch reaches the server (one is
	// kept when nobody waits), so a test can wait until a fetch is in
	// flight.
	arrived chan struct{}

	mu           sync.Mutex
	body         []byte
	status       int
	cacheControl string
	delay        time.Duration
}

func newJWKSServer(t *testing.T, signers ...*Signer) *jwksServer {
	t.Helper()
	s := &jwksServer{status: http.StatusOK, arrived: make(chan struct{}, 1)}
	s.publish(t, signers...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		select {
		case s.arrived <- struct{}{}:
		default:
		}
		s.mu.Lock()
		body, status, cc, delay := s.body, s.status, s.cacheControl, s.delay
		s.mu.Unlock()
		time.Sleep(delay) // a slow identity is the scenario of the tests that set delay
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(t *testing.T, signers ...*Signer) {
	t.Helper()
	var doc JWKS
	for _, sg := range signers {
		doc.Keys = append(doc.Keys, sg.JWKS().Keys...)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	s.set(func() { s.body = b })
}

func (s *jwksServer) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// remoteVerifier returns a verifier on srv whose clock the test drives.
func remoteVerifier(t *testing.T, srv *jwksServer, minRefresh time.Duration) (*Verifier, *fixedClock) {
	t.Helper()
	v := NewVerifier(VerifierConfig{
		JWKSURL:    srv.URL + "/.well-known/jwks.json",
		Issuer:     testIssuer,
		Audience:   testAudience,
		HTTPClient: srv.Client(),
		MinRefresh: minRefresh,
	})
	clock := newClock()
	v.now = clock.Now
	return v, clock
}

func verifyAt(t *testing.T, v *Verifier, clock *fixedClock, s *Signer) error {
	t.Helper()
	_, err := v.VerifyAccess(context.Background(), mustSign(t, s, validClaimsAt(clock.Now(), TokenUseAccess)))
	return err
}

func wantFetches(t *testing.T, srv *jwksServer, want int64) {
	t.Helper()
	if got := srv.fetches.Load(); got != want {
		t.Fatalf("JWKS fetched %d times, want %d", got, want)
	}
}

func TestRemoteVerifierFetchesLazilyAndCaches(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	srv := newJWKSServer(t, signer)
	v, clock := remoteVerifier(t, srv, time.Minute)
	wantFetches(t, srv, 0)
	for range 20 {
		if err := verifyAt(t, v, clock, signer); err != nil {
			t.Fatalf("VerifyAccess: %v", err)
		}
	}
	wantFetches(t, srv, 1)
	// Still cached just before the default 10 min lifetime ends, refetched after.
	clock.Advance(10*time.Minute - time.Second)
	if err := verifyAt(t, v, clock, signer); err != nil {
		t.Fatal(err)
	}
	wantFetches(t, srv, 1)
	clock.Advance(2 * time.Second)
	if err := verifyAt(t, v, clock, signer); err != nil {
		t.Fatal(err)
	}
	wantFetches(t, srv, 2)
}

func TestRemoteVerifierHonoursMaxAge(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	srv := newJWKSServer(t, signer)
	srv.set(func() { srv.cacheControl = "public, max-age=120, must-revalidate" })
	v, clock := remoteVerifier(t, srv, 30*time.Second)
	if err := verifyAt(t, v, clock, signer); err != nil {
		t.Fatal(err)
	}
	clock.Advance(119 * time.Second)
	if err := verifyAt(t, v, clock, signer); err != nil {
		t.Fatal(err)
	}
	wantFetches(t, srv, 1)
	clock.Advance(2 * time.Second)
	if err := verifyAt(t, v, clock, signer); err != nil {
		t.Fatal(err)
	}
	wantFetches(t, srv, 2)
}

func TestRemoteVerifierKeyRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := testSigner(t, 0), testSigner(t, 1)
	srv := newJWKSServer(t, oldKey)
	v, clock := remoteVerifier(t, srv, time.Minute)
	if err := verifyAt(t, v, clock, oldKey); err != nil {
		t.Fatal(err)
	}

	// identity publishes the new key next to the old one and starts using it.
	srv.publish(t, newKey, oldKey)
	// Within MinRefresh of the last fetch the new kid cannot be learnt: this is
	// why identity must publish a key before signing with it.
	clock.Advance(30 * time.Second)
	if err := verifyAt(t, v, clock, newKey); !errors.Is(err, apperr.ErrUnauthorized) {
		t.Fatalf("new kid within MinRefresh: err = %v, want Unauthorized", err)
	}
	wantFetches(t, srv, 1)

	clock.Advance(31 * time.Second)
	if err := verifyAt(t, v, clock, newKey); err != nil {
		t.Fatalf("new kid after MinRefresh: %v", err)
	}
	wantFetches(t, srv, 2)
	if err := verifyAt(t, v, clock, oldKey); err != nil {
		t.Fatalf("old key still published: %v", err)
	}

	// Once the old key is withdrawn, it stops verifying at the next refresh.
	srv.publish(t, newKey)
	clock.Advance(11 * time.Minute)
	if err := verifyAt(t, v, clock, oldKey); !errors.Is(err, apperr.ErrUnauthorized) {
		t.Fatalf("withdrawn key: err = %v, want Unauthorized", err)
	}
	if err := verifyAt(t, v, clock, newKey); err != nil {
		t.Fatal(err)
	}
	wantFetches(t, srv, 3)
}

func TestRemoteVerifierRateLimitsRefreshStorms(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	srv := newJWKSServer(t, signer)
	srv.set(func() { srv.delay = 50 * time.Millisecond })
	v, clock := remoteVerifier(t, srv, time.Minute)
	if err := verifyAt(t, v, clock, signer); err != nil {
		t.Fatal(err)
	}
	wantFetches(t, srv, 1)

	storm := func() {
		t.Helper()
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				tok := rawRS256(t, testKey(t, 0), map[string]any{"alg": "RS256", "kid": "forged-" + string(rune('a'+i%26))},
					claimsMap(t, validClaimsAt(clock.Now(), TokenUseAccess)))
				if _, err := v.VerifyAccess(context.Background(), tok); !errors.Is(err, apperr.ErrUnauthorized) {
					t.Errorf("unknown kid: err = %v, want Unauthorized", err)
				}
			})
		}
		wg.Wait()
	}
	storm() // right after a fetch: no fetch at all
	wantFetches(t, srv, 1)
	clock.Advance(time.Minute)
	storm() // one fetch serves the whole storm
	wantFetches(t, srv, 2)
	storm()
	wantFetches(t, srv, 2)
	// Valid tokens kept working throughout.
	if err := verifyAt(t, v, clock, signer); err != nil {
		t.Fatal(err)
	}
}

func TestRemoteVerifierStaleRefreshIsSingle(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	srv := newJWKSServer(t, signer)
	v, clock := remoteVerifier(t, srv, time.Minute)
	if err := verifyAt(t, v, clock, signer); err != nil {
		t.Fatal(err)
	}
	srv.set(func() { srv.delay = 100 * time.Millisecond })
	clock.Advance(11 * time.Minute)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := verifyAt(t, v, clock, signer); err != nil {
				t.Errorf("VerifyAccess during refresh: %v", err)
			}
		})
	}
	wg.Wait()
	wantFetches(t, srv, 2)
}

func TestRemoteVerifierFetchFailures(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	tests := []struct {
		name        string
		breakServer func(*jwksServer)
	}{
		{"server error", func(s *jwksServer) { s.status = http.StatusInternalServerError }},
		{"not found", func(s *jwksServer) { s.status = http.StatusNotFound }},
		{"not JSON", func(s *jwksServer) { s.body = []byte("<html>oops</html>") }},
		{"no usable key", func(s *jwksServer) { s.body = []byte(`{"keys":[{"kty":"EC","kid":"x"}]}`) }},
		{"over 1 MiB", func(s *jwksServer) {
			s.body = append([]byte(`{"pad":"`+strings.Repeat("x", maxJWKSBytes)+`",`), s.body[1:]...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newJWKSServer(t, signer)
			good := srv.body
			srv.set(func() { tt.breakServer(srv) })
			v, clock := remoteVerifier(t, srv, time.Minute)

			// Nothing loaded: the token may be fine, so 503 rather than 401.
			if err := verifyAt(t, v, clock, signer); !errors.Is(err, apperr.ErrUnavailable) {
				t.Fatalf("err = %v, want Unavailable", err)
			}
			if err := v.Ready(context.Background()); err == nil {
				t.Fatal("Ready() = nil with no keys")
			}
			wantFetches(t, srv, 1) // Ready did not refetch within the retry delay

			// After a failure, retry after 5 s, not a whole MinRefresh.
			srv.set(func() { srv.body, srv.status = good, http.StatusOK })
			clock.Advance(4 * time.Second)
			if err := verifyAt(t, v, clock, signer); !errors.Is(err, apperr.ErrUnavailable) {
				t.Fatalf("err = %v, want Unavailable", err)
			}
			wantFetches(t, srv, 1)
			clock.Advance(time.Second)
			if err := v.Ready(context.Background()); err != nil {
				t.Fatalf("Ready: %v", err)
			}
			if err := verifyAt(t, v, clock, signer); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
			wantFetches(t, srv, 2)

			// A failed refresh keeps the cached keys in use.
			srv.set(func() { tt.breakServer(srv) })
			clock.Advance(11 * time.Minute)
			if err := verifyAt(t, v, clock, signer); err != nil {
				t.Fatalf("stale keys after a failed refresh: %v", err)
			}
			wantFetches(t, srv, 3)
			if err := v.Ready(context.Background()); err != nil {
				t.Fatalf("Ready with stale keys: %v", err)
			}
		})
	}
}

func TestRemoteVerifierFetchTimeout(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	srv := newJWKSServer(t, signer)
	srv.set(func() { srv.delay = 2 * time.Second })
	v, clock := remoteVerifier(t, srv, time.Minute)
	rk := v.keys.(*remoteKeys)
	if rk.timeout != 5*time.Second {
		t.Fatalf("fetch timeout = %v, want 5s", rk.timeout)
	}
	rk.client = &http.Client{} // no client timeout: the fetch's own deadline must apply
	rk.timeout = 200 * time.Millisecond
	start := time.Now()
	if err := verifyAt(t, v, clock, signer); !errors.Is(err, apperr.ErrUnavailable) {
		t.Fatalf("err = %v, want Unavailable", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("fetch took %v, want about %v", d, rk.timeout)
	}
}

func TestRemoteVerifierWaiterHonoursContext(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	srv := newJWKSServer(t, signer)
	srv.set(func() { srv.delay = time.Second })
	v, clock := remoteVerifier(t, srv, time.Minute)
	tok := mustSign(t, signer, validClaimsAt(clock.Now(), TokenUseAccess))
	go func() { _, _ = v.VerifyAccess(context.Background(), tok) }() // holds the fetch
	// Once it reaches the server the fetch is in flight: the next caller
	// waits on it.
	select {
	case <-srv.arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the first caller's fetch never reached the server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := v.VerifyAccess(ctx, tok); err == nil {
		// The in-flight fetch may have finished first on a slow machine.
		t.Log("fetch finished before the waiter's deadline")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("waiter blocked %v past its deadline", d)
	}
}

func TestCacheTTL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header []string
		floor  time.Duration
		want   time.Duration
	}{
		{"absent", nil, time.Minute, defaultJWKSTTL},
		{"max-age", []string{"public, max-age=300"}, time.Minute, 5 * time.Minute},
		{"quoted max-age", []string{`max-age="300"`}, time.Minute, 5 * time.Minute},
		{"upper case", []string{"Max-Age=300"}, time.Minute, 5 * time.Minute},
		{"below the floor", []string{"max-age=5"}, time.Minute, time.Minute},
		{"no-store", []string{"no-store, max-age=600"}, time.Minute, time.Minute},
		{"no-cache", []string{"no-cache"}, time.Minute, time.Minute},
		{"huge", []string{"max-age=99999999999999"}, time.Minute, maxJWKSTTL},
		{"negative", []string{"max-age=-1"}, time.Minute, defaultJWKSTTL},
		{"bad", []string{"max-age=soon"}, time.Minute, defaultJWKSTTL},
		{"split over lines", []string{"public", "max-age=120"}, time.Minute, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := cacheTTL(tt.header, tt.floor); got != tt.want {
				t.Fatalf("cacheTTL(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}
