package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reos.dev/gateway/migrations"
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
	if code := run([]string{"migrate", "status"}, &out, &errOut); code != 0 {
		t.Fatalf("status before: %d %q %q", code, out.String(), errOut.String())
	}
	expectStatusLines(t, out.String(), func(uint) uint { return 0 })

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
	expectStatusLines(t, out.String(), func(latest uint) uint { return latest })

	// Serve as the gateway's group role, as production does.
	t.Setenv("DB_ROLE", "gateway_app")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- serve(ctx, &syncWriter{w: &logs}) }()
	var last string
	testkit.Eventually(t, 10*time.Second, func() bool {
		select {
		case err := <-done:
			last = fmt.Sprintf("serve returned %v", err)
			done <- err // for the check after the wait
			return true
		default:
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			last = err.Error()
			return false
		}
		resp.Body.Close()
		last = resp.Status
		return resp.StatusCode == http.StatusOK
	}, func() string { return "gateway never became ready; last: " + last })
	select {
	case err := <-done:
		t.Fatalf("serve stopped before it was ready: %v", err)
	default:
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

// expectStatusLines checks that out has one status line per migration
// source of the gateway, each at the version want gives for the source's
// latest (read from its files, so a new migration needs no edit here).
func expectStatusLines(t *testing.T, out string, want func(latest uint) uint) {
	t.Helper()
	db := migrations.Database()
	for _, src := range db.Sources {
		latest := latestVersion(t, src.FS)
		line := fmt.Sprintf("schema %s, %s migrations: version %d of %d (dirty=false)\n", db.Name, src.Name, want(latest), latest)
		if !strings.Contains(out, line) {
			t.Errorf("migrate output lacks %q:\n%s", line, out)
		}
	}
}

// latestVersion is the highest NNNNNN of fsys's NNNNNN_name.up.sql files.
func latestVersion(t *testing.T, fsys fs.FS) uint {
	t.Helper()
	ups, err := fs.Glob(fsys, "*.up.sql")
	if err != nil || len(ups) == 0 {
		t.Fatalf("no up migrations: %v", err)
	}
	var latest uint
	for _, name := range ups {
		digits, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseUint(digits, 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		latest = max(latest, uint(v))
	}
	return latest
}
