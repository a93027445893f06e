package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The tests set process environment, so none of them runs in parallel.

func TestUsageAndUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "migrate up|status") {
		t.Errorf("help: %d %q", code, out.String())
	}
	if code := run([]string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("unknown: %d %q", code, errOut.String())
	}
	if code := run([]string{"migrate", "sideways"}, &out, &errOut); code != 1 {
		t.Errorf("bad migrate argument: exit %d", code)
	}
}

func TestMigrateAndServe(t *testing.T) {
	db := testkit.NewDatabase(t)
	_, prefix := testkit.Redis(t)
	t.Setenv("DATABASE_URL", db.URL)

	var out, errOut bytes.Buffer
	if code := run([]string{"migrate", "status"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "version 0 of 1") {
		t.Fatalf("status before: %d %q %q", code, out.String(), errOut.String())
	}

	// serve refuses a schema that is behind.
	addr := freeAddr(t)
	t.Setenv("HTTP_ADDR", addr)
	t.Setenv("GATEWAY_UPSTREAMS", "identity=http://127.0.0.1:1")
	t.Setenv("RATE_LIMIT_PREFIX", prefix)
	t.Setenv("JWKS_URL", "http://127.0.0.1:1/.well-known/jwks.json")
	err := serve(t.Context(), &out)
	if err == nil || !strings.Contains(err.Error(), "migrate up") {
		t.Fatalf("serve on an empty database: %v, want a refusal naming migrate up", err)
	}

	out.Reset()
	for range 2 { // twice: the second run has nothing to do
		if code := run([]string{"migrate", "up"}, &out, &errOut); code != 0 {
			t.Fatalf("migrate up: %d %q", code, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "version 1 of 1 (dirty=false)") {
		t.Errorf("migrate up output: %q", out.String())
	}

	// Serve as the gateway's group role, as production does.
	t.Setenv("DB_ROLE", "gateway_app")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- serve(ctx, &syncWriter{w: &logs}) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("gateway never became ready: %v; exit %v", err, <-done)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/api/v1/users")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// No JWKS is reachable: the token cannot be checked → 401 without a token.
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("GET /api/v1/users without a token: %d %v", resp.StatusCode, resp.Header)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// syncWriter lets the server log from several goroutines into a buffer.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
