package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/service"
	"reos.dev/pkg/testkit"
)

// TestServedVerifierRefusesEndedSessions: the verifier every service gets
// from its Runtime follows the session revocations in Redis: a token whose
// session ends is refused within a second, a token without a session is
// refused, and /readyz reports the feed.
func TestServedVerifierRefusesEndedSessions(t *testing.T) {
	tokens := testkit.NewTokens(t)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(tokens.Signer.JWKS())
	}))
	t.Cleanup(jwks.Close)
	db := testkit.NewDatabase(t)
	addr := freeAddr(t)
	t.Setenv("DATABASE_URL", db.URL)
	t.Setenv("HTTP_ADDR", addr)
	t.Setenv("JWKS_URL", jwks.URL)
	t.Setenv("KAFKA_BROKERS", strings.Join(testkit.Brokers(t), ","))
	if url := os.Getenv("REOS_TEST_REDIS_URL"); url != "" {
		t.Setenv("REDIS_URL", url)
	}
	spec := demoSpec(t)
	spec.Build = func(_ context.Context, rt service.Runtime[demoConfig]) (service.App, error) {
		r := mux.NewRouter()
		service.MountOperational(r, rt.Health, rt.Metrics, []byte(`{"openapi":"3.1.0"}`))
		r.Handle("/api/v1/me", auth.Middleware(rt.Verifier(), rt.Logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := auth.PrincipalFrom(r.Context())
			fmt.Fprint(w, p.UserID)
		})))
		return service.App{Handler: r}, nil
	}
	if err := service.Run(t.Context(), spec, []string{"migrate", "up"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- service.Run(ctx, spec, nil, io.Discard, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	waitFor(t, "http://"+addr+"/readyz")
	get := func(path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if _, body := get("/readyz", ""); !strings.Contains(body, `"revocations":{"status":"ok"`) {
		t.Errorf("/readyz does not report the revocation feed: %s", body)
	}

	user, org, sid := uuid.NewString(), uuid.NewString(), uuid.NewString()
	token := tokens.AccessInSession(t, sid, user, org)
	if status, body := get("/api/v1/me", token); status != http.StatusOK || body != user {
		t.Fatalf("live session: %d %s", status, body)
	}
	now := time.Now()
	noSession, err := tokens.Signer.Sign(auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: testkit.Issuer, Audience: jwt.ClaimStrings{testkit.Audience}, Subject: user,
			ID: uuid.NewString(), IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))},
		OrgID: org, TokenUse: auth.TokenUseAccess,
	})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := get("/api/v1/me", noSession); status != http.StatusUnauthorized || !strings.Contains(body, auth.ReasonInvalidToken) {
		t.Errorf("a token without sid: %d %s", status, body)
	}

	// identity ends the session: another process writes to the same feed.
	rdb, _ := testkit.Redis(t)
	identity, err := auth.NewRevocations(auth.RevocationsConfig{Redis: rdb, Logger: logging.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	if err := identity.Revoke(t.Context(), time.Now().Add(30*time.Second), sid); err != nil {
		t.Fatal(err)
	}
	var status int
	var body string
	testkit.Eventually(t, time.Second, func() bool {
		status, body = get("/api/v1/me", token)
		return status == http.StatusUnauthorized && strings.Contains(body, auth.ReasonSessionRevoked)
	}, func() string { return fmt.Sprintf("a second after the session ended: %d %s", status, body) })
}
