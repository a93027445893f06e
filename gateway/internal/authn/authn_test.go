package authn_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"reos.dev/gateway/internal/authn"
	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/testkit"
)

// fakeVerifier accepts "good-<n>" tokens expiring at exp and counts calls.
type fakeVerifier struct {
	calls atomic.Int64
	exp   time.Time
}

func (f *fakeVerifier) VerifyAccess(_ context.Context, token string) (*auth.Claims, error) {
	f.calls.Add(1)
	if len(token) < 5 || token[:5] != "good-" {
		return nil, apperr.Unauthorized(auth.ReasonInvalidToken, "bad")
	}
	return &auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "user-" + token[5:], ExpiresAt: jwt.NewNumericDate(f.exp)},
		OrgID:            "org-1",
	}, nil
}

type clock struct{ t atomic.Pointer[time.Time] }

func (c *clock) now() time.Time      { return *c.t.Load() }
func (c *clock) set(t time.Time)     { c.t.Store(&t) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

func TestCacheLifetime(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var c clock
	c.set(start)
	v := &fakeVerifier{exp: start.Add(15 * time.Minute)}
	a, err := authn.New(authn.Config{Verifier: v, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	authenticate := func(tok string) (authn.Identity, error) { return a.Authenticate(ctx, []string{"Bearer " + tok}) }

	id, err := authenticate("good-1")
	if err != nil || id.UserID != "user-1" || id.OrgID != "org-1" {
		t.Fatalf("first: %+v %v", id, err)
	}
	authenticate("good-1")
	if v.calls.Load() != 1 {
		t.Errorf("verified %d times, want 1 (cached)", v.calls.Load())
	}
	c.add(61 * time.Second) // past the 60 s cap
	authenticate("good-1")
	if v.calls.Load() != 2 {
		t.Errorf("verified %d times after 61 s, want 2", v.calls.Load())
	}

	// A token expiring sooner than 60 s is cached only until it expires.
	v.exp = c.now().Add(10 * time.Second)
	authenticate("good-2")
	c.add(11 * time.Second)
	authenticate("good-2")
	if v.calls.Load() != 4 {
		t.Errorf("verified %d times, want 4 (cache honours exp)", v.calls.Load())
	}

	// Failures are never cached.
	for range 2 {
		if _, err := authenticate("bad"); !errors.Is(err, apperr.ErrUnauthorized) {
			t.Fatalf("bad token: %v", err)
		}
	}
	if v.calls.Load() != 6 {
		t.Errorf("verified %d times, want 6", v.calls.Load())
	}
}

// TestCachedTokenCostsNoAllocation: a cache hit hashes the token without
// copying it (the reason for the unsafe view in Authenticate), so the
// busiest path of the gateway allocates nothing for a real-sized token.
func TestCachedTokenCostsNoAllocation(t *testing.T) {
	v := &fakeVerifier{exp: time.Now().Add(15 * time.Minute)}
	a, err := authn.New(authn.Config{Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	header := []string{"Bearer good-" + strings.Repeat("x", 1200)}
	if _, err := a.Authenticate(ctx, header); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = a.Authenticate(ctx, header) }); n != 0 || v.calls.Load() != 1 {
		t.Errorf("a cache hit costs %v allocations and %d verifications, want 0 and 1", n, v.calls.Load())
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	v := &fakeVerifier{exp: time.Now().Add(time.Hour)}
	a, err := authn.New(authn.Config{Verifier: v, CacheSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if _, err := a.Authenticate(t.Context(), []string{"Bearer good-" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := a.Len(); n > 64 || n == 0 {
		t.Errorf("cache holds %d entries, want 1..64", n)
	}
	off, _ := authn.New(authn.Config{Verifier: v, CacheSize: -1})
	off.Authenticate(t.Context(), []string{"Bearer good-x"})
	if off.Len() != 0 {
		t.Error("a disabled cache holds entries")
	}
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		values  []string
		want    string
		missing bool
	}{
		{name: "ok", values: []string{"Bearer abc"}, want: "abc"},
		{name: "scheme case", values: []string{"bearer  abc "}, want: "abc"},
		{name: "none", values: nil, missing: true},
		{name: "basic", values: []string{"Basic abc"}, missing: true},
		{name: "empty token", values: []string{"Bearer "}, missing: true},
		{name: "two headers", values: []string{"Bearer a", "Bearer b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := authn.BearerToken(tc.values)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Errorf("= %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if authn.IsMissingToken(err) != tc.missing {
				t.Errorf("IsMissingToken = %t, want %t", !tc.missing, tc.missing)
			}
		})
	}
	if _, err := authn.New(authn.Config{}); err == nil {
		t.Error("nil verifier accepted")
	}
}

// endedSessions is a revocation list the test edits.
type endedSessions struct{ m sync.Map }

func (e *endedSessions) Revoked(sid string) (bool, error) {
	_, ok := e.m.Load(sid)
	return ok, nil
}

// countingVerifier counts full verifications of a real verifier and, like
// it, re-checks sessions.
type countingVerifier struct {
	*auth.Verifier
	calls atomic.Int64
}

func (c *countingVerifier) VerifyAccess(ctx context.Context, token string) (*auth.Claims, error) {
	c.calls.Add(1)
	return c.Verifier.VerifyAccess(ctx, token)
}

// TestCachedTokenOfAnEndedSessionIsRefused: the cache saves the signature
// check, never the revocation check: a token cached while its session was
// live is refused as soon as the session ends.
func TestCachedTokenOfAnEndedSessionIsRefused(t *testing.T) {
	t.Parallel()
	tokens := testkit.NewTokens(t)
	ended := &endedSessions{}
	v := &countingVerifier{Verifier: auth.NewStaticVerifier(map[string]*rsa.PublicKey{tokens.Signer.KeyID(): tokens.Signer.PublicKey()},
		testkit.Issuer, testkit.Audience, auth.WithRevocations(ended))}
	a, err := authn.New(authn.Config{Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	tok := tokens.AccessInSession(t, "session-1", "0190f5a8-0000-7000-8000-000000000001", "0190f5a8-0000-7000-8000-0000000000aa")
	other := tokens.AccessInSession(t, "session-2", "0190f5a8-0000-7000-8000-000000000001", "0190f5a8-0000-7000-8000-0000000000aa")
	for range 3 {
		for _, tk := range []string{tok, other} {
			if _, err := a.Authenticate(t.Context(), []string{"Bearer " + tk}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if v.calls.Load() != 2 {
		t.Fatalf("verified %d times, want 2 (cached)", v.calls.Load())
	}

	ended.m.Store("session-1", true)
	_, err = a.Authenticate(t.Context(), []string{"Bearer " + tok})
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindUnauthorized || e.Reason != auth.ReasonSessionRevoked {
		t.Fatalf("cached token of an ended session: %v, want 401 %s", err, auth.ReasonSessionRevoked)
	}
	if _, err := a.Authenticate(t.Context(), []string{"Bearer " + other}); err != nil {
		t.Fatalf("another session's cached token: %v", err)
	}
	if v.calls.Load() != 2 {
		t.Errorf("verified %d times, want still 2: the re-check is a lookup", v.calls.Load())
	}
}
