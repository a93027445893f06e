package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"reos.dev/pkg/testkit"
)

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

var securityHeaders = []string{
	"Content-Security-Policy", "Strict-Transport-Security", "X-Frame-Options",
	"X-Content-Type-Options", "Referrer-Policy",
}

func assertSecurityHeaders(t *testing.T, what string, r response) {
	t.Helper()
	for _, h := range securityHeaders {
		if r.Header.Get(h) == "" {
			t.Errorf("%s (%d): missing %s", what, r.Status, h)
		}
	}
}

// TestStack starts the system once and runs the end-to-end scenarios against
// it in order; later scenarios (rate limit, a stopped upstream) disturb it.
func TestStack(t *testing.T) {
	s := startStack(t)
	email := strings.ToLower(testkit.UniqueName(t, "e2e")) + "@example.test"
	const password = "correct horse battery staple"
	var tokens tokenPair
	var userID string

	t.Run("register login me through nginx", func(t *testing.T) {
		r := do(t, http.MethodPost, s.API()+"/auth/register", "", map[string]string{
			"email": email, "password": password, "full_name": "E2E Admin", "organization_name": "E2E Realty",
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("register = %d %s", r.Status, r.Body)
		}
		var user struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		}
		r.json(t, &user)
		userID = user.ID
		if user.Email != email || userID == "" {
			t.Fatalf("registered user = %s", r.Body)
		}

		r = do(t, http.MethodPost, s.API()+"/auth/login", "", map[string]string{"email": email, "password": password})
		if r.Status != http.StatusOK {
			t.Fatalf("login = %d %s", r.Status, r.Body)
		}
		r.json(t, &tokens)
		if tokens.TokenType != "Bearer" || tokens.AccessToken == "" || tokens.RefreshToken == "" || tokens.ExpiresIn <= 0 {
			t.Fatalf("token pair = %s", r.Body)
		}

		r = do(t, http.MethodGet, s.API()+"/auth/me", tokens.AccessToken, nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), email) {
			t.Fatalf("me = %d %s", r.Status, r.Body)
		}
		assertSecurityHeaders(t, "GET /auth/me", r)
		if r.Header.Get("X-Request-ID") == "" {
			t.Error("no X-Request-ID on the response")
		}

		// Without a token the gateway refuses before identity is asked.
		r = do(t, http.MethodGet, s.API()+"/auth/me", "", nil)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("me without token = %d", r.Status)
		}
	})

	t.Run("token is RS256 with a kid the JWKS serves", func(t *testing.T) {
		if tokens.AccessToken == "" {
			t.Fatal("the login scenario failed first")
		}
		head, _, _ := strings.Cut(tokens.AccessToken, ".")
		raw, err := base64.RawURLEncoding.DecodeString(head)
		if err != nil {
			t.Fatal(err)
		}
		var hdr struct{ Alg, Kid string }
		if err := json.Unmarshal(raw, &hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Alg != "RS256" || hdr.Kid == "" {
			t.Fatalf("header = %s", raw)
		}
		r := do(t, http.MethodGet, s.API()+"/.well-known/jwks.json", "", nil)
		var jwks struct {
			Keys []struct{ Kid, Kty, Alg string } `json:"keys"`
		}
		r.json(t, &jwks)
		found := false
		for _, k := range jwks.Keys {
			found = found || (k.Kid == hdr.Kid && k.Kty == "RSA")
		}
		if !found {
			t.Fatalf("kid %s not in JWKS %s", hdr.Kid, r.Body)
		}
	})

	t.Run("user registered event reaches the broker", func(t *testing.T) {
		if userID == "" {
			t.Fatal("the register scenario failed first")
		}
		s.expectEventOnTopic(t, "reos.identity.events", "reos.identity.user.registered", userID)
	})

	t.Run("merged OpenAPI passes spectral", func(t *testing.T) {
		r := do(t, http.MethodGet, s.API()+"/openapi.json", "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("openapi = %d %s", r.Status, r.Body)
		}
		var doc struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		r.json(t, &doc)
		for _, p := range []string{"/api/v1/auth/login", "/api/v1/properties", "/api/v1/leads", "/api/v1/deals/{id}/stage"} {
			if !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Paths[p] == nil {
				t.Fatalf("merged spec lacks %s: openapi=%s, %d paths", p, doc.OpenAPI, len(doc.Paths))
			}
		}
		spectralLint(t, s.Root, r.Body)
	})

	t.Run("security headers on 404", func(t *testing.T) {
		r := do(t, http.MethodGet, s.API()+"/no-such-thing", tokens.AccessToken, nil)
		if r.Status != http.StatusNotFound {
			t.Fatalf("status = %d", r.Status)
		}
		assertSecurityHeaders(t, "404", r)
	})

	var people actors
	t.Run("a viewer and another organisation", func(t *testing.T) {
		if tokens.AccessToken == "" {
			t.Fatal("the login scenario failed first")
		}
		people = newActors(t, s, tokens.AccessToken, userID)
	})
	t.Run("meta routes under /api/v1", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		metaScenarios(t, s, people)
	})
	t.Run("property", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		propertyScenarios(t, s, people)
	})
	t.Run("crm", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		crmScenarios(t, s, people)
	})
	t.Run("crm assignment and rescoring", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		crmAssignmentScenarios(t, s, people)
	})
	t.Run("crm import and deal documents", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		crmImportScenarios(t, s, people)
	})
	t.Run("crm deal timeline and agent visibility", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		crmDealScenarios(t, s, people)
	})
	t.Run("read models backfilled by republish", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		republishScenarios(t, s, people)
	})
	t.Run("listing agents from identity's users", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		listingAgentScenarios(t, s, people)
	})
	t.Run("outreach templates and unsubscribe", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		outreachScenarios(t, s, people)
	})
	t.Run("property media", func(t *testing.T) { mediaScenarios(t, s) })
	t.Run("property import", func(t *testing.T) { importScenarios(t, s) })
	t.Run("slow upload", func(t *testing.T) { transferScenarios(t, s) })
	t.Run("property valuations", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		valuationScenarios(t, s, people)
	})
	t.Run("portfolio", func(t *testing.T) {
		if people.outsider == "" {
			t.Fatal("the actors scenario failed first")
		}
		portfolioScenarios(t, s, people)
	})

	t.Run("circuit opens when identity is down and closes when it returns", func(t *testing.T) {
		if tokens.AccessToken == "" {
			t.Fatal("the login scenario failed first")
		}
		s.Identity.stop()
		var last response
		opened := false
		// e2eBreakerFailures refused connections in a row open it: the
		// next request is answered by the open breaker.
		for i := 0; i <= e2eBreakerFailures && !opened; i++ {
			last = do(t, http.MethodGet, s.API()+"/users", tokens.AccessToken, nil)
			opened = last.Status == http.StatusServiceUnavailable
		}
		if !opened {
			t.Fatalf("circuit never opened; last = %d %s", last.Status, last.Body)
		}
		assertSecurityHeaders(t, "503", last)
		if last.Header.Get("Retry-After") == "" || !strings.HasPrefix(last.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("open circuit answer = %v %s", last.Header, last.Body)
		}
		start := time.Now()
		do(t, http.MethodGet, s.API()+"/users", tokens.AccessToken, nil)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("open circuit answered in %v, want fast", d)
		}

		s.Identity.start(t)
		waitReady(t, s.Identity, s.IdentityURL+"/readyz")
		// The breaker lets a trial through once its open timeout passes.
		var r response
		testkit.Eventually(t, 15*time.Second, func() bool {
			r = do(t, http.MethodGet, s.API()+"/users", tokens.AccessToken, nil)
			return r.Status == http.StatusOK
		}, func() string { return fmt.Sprintf("circuit did not close: %d %s", r.Status, r.Body) })
	})

	t.Run("auth rate limit answers 429 with headers", func(t *testing.T) {
		// The auth limit is authLimitN per 10 s per client IP (see startStack);
		// earlier scenarios may have used part of the window, so send until refused.
		var r response
		for i := 0; i <= authLimitN; i++ {
			r = do(t, http.MethodPost, s.API()+"/auth/login", "", map[string]string{"email": "nobody@example.test", "password": "wrong-password-123"})
			if r.Status == http.StatusTooManyRequests {
				break
			}
		}
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("no 429 after %d auth requests; last = %d", authLimitN+1, r.Status)
		}
		for _, h := range []string{"Retry-After", "RateLimit-Policy", "RateLimit"} {
			if r.Header.Get(h) == "" {
				t.Errorf("429 lacks %s", h)
			}
		}
		assertSecurityHeaders(t, "429", r)
	})
}

// expectEventOnTopic reads the stack's topic from the start of every partition until it
// finds an event of type typ whose id, subject or data mentions id, and
// fails the test when none arrives within 20 s.
func (s *Stack) expectEventOnTopic(t *testing.T, topic, typ, id string) {
	t.Helper()
	const within = 20 * time.Second
	brokers := s.Brokers
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var last string
	testkit.Eventually(t, within, func() bool {
		parts, err := conn.ReadPartitions(topic)
		if err != nil {
			last = err.Error()
			return false
		}
		for _, p := range parts {
			if scanPartition(ctx, brokers, topic, p.ID, typ, id) {
				return true
			}
		}
		last = fmt.Sprintf("not in its %d partitions", len(parts))
		return false
	}, func() string { return fmt.Sprintf("no %s event for %s on %s: %s", typ, id, topic, last) })
}

func scanPartition(ctx context.Context, brokers []string, topic string, partition int, typ, id string) bool {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: partition, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(kafka.FirstOffset); err != nil {
		return false
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		m, err := r.ReadMessage(rctx)
		cancel()
		if err != nil {
			return false
		}
		var ev struct {
			Type    string          `json:"type"`
			Subject string          `json:"subject"`
			Data    json.RawMessage `json:"data"`
		}
		if json.Unmarshal(m.Value, &ev) == nil && ev.Type == typ &&
			(ev.Subject == id || string(m.Key) == id || strings.Contains(string(ev.Data), id)) {
			return true
		}
	}
}

// spectralLint runs the pinned Spectral CLI (tools/spectral) with the
// spectral:oas ruleset and fails on any error-severity finding.
func spectralLint(t *testing.T, root string, doc []byte) {
	t.Helper()
	dir := filepath.Join(root, "tools", "spectral")
	bin := filepath.Join(dir, "node_modules", ".bin", "spectral")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("spectral is not installed (%v): `make test` installs it with npm ci in tools/spectral", err)
	}
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "lint", "--ruleset", filepath.Join(dir, ".spectral.yaml"), "--fail-severity", "error", file)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("spectral found errors: %v\n%s", err, out)
	}
	t.Logf("spectral:\n%s", out)
}
