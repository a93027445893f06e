package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gorilla/mux"

	"reos.dev/pkg/config"
	"reos.dev/pkg/events"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/service"
	"reos.dev/pkg/testkit"
)

type demoConfig struct{ Greeting string }

func demoSpec(t *testing.T) service.Spec[demoConfig] {
	own := fstest.MapFS{
		"1_demo.up.sql":   {Data: []byte("CREATE TABLE greetings (id int);")},
		"1_demo.down.sql": {Data: []byte("DROP TABLE greetings;")},
	}
	return service.Spec[demoConfig]{
		Name:        "demo",
		DefaultAddr: "127.0.0.1:0",
		Database: postgres.Schema{Name: "demo", Sources: []postgres.Source{
			{Name: "demo", Table: "schema_migrations", FS: own},
			{Name: "events", Table: "events_schema_migrations", FS: events.Migrations},
		}},
		Outbox: true,
		LoadConfig: func(e *config.Env, _ config.Common) demoConfig {
			return demoConfig{Greeting: e.OneOf("GREETING", "hello", "hello", "hi")}
		},
		Build: func(_ context.Context, rt service.Runtime[demoConfig]) (service.App, error) {
			r := mux.NewRouter()
			service.MountOperational(r, rt.Health, rt.Metrics, []byte(`{"openapi":"3.1.0"}`))
			r.HandleFunc("/api/v1/greeting", func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprint(w, rt.Config.Greeting)
			})
			return service.App{Handler: r, Seed: func(_ context.Context, out io.Writer) error {
				_, err := fmt.Fprintln(out, "seeded")
				return err
			}}, nil
		},
	}
}

func TestRunRejectsUnknownCommands(t *testing.T) {
	t.Parallel()
	spec := demoSpec(t)
	for _, args := range [][]string{{"migrate"}, {"migrate", "down"}, {"serve", "extra"}, {"frobnicate"}} {
		var out bytes.Buffer
		if err := service.Run(t.Context(), spec, args, &out, &out); err == nil || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("Run(%v) = %v, want a usage error", args, err)
		}
	}
	var out bytes.Buffer
	if err := service.Run(t.Context(), spec, []string{"help"}, &out, &out); err != nil || !strings.Contains(out.String(), "migrate up") {
		t.Errorf("help: %v %q", err, out.String())
	}
}

func TestLoadConfigNamesEveryBadVariable(t *testing.T) {
	t.Parallel()
	_, _, err := service.LoadConfig(demoSpec(t), config.FromMap(map[string]string{
		"GREETING": "yo", "DB_MAX_CONNS": "1", "MODE": "staging",
	}))
	for _, name := range []string{"GREETING", "DB_MAX_CONNS", "MODE", "DATABASE_URL"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

// TestServeLifecycle: serve refuses a schema that is behind, migrate up
// brings it current, serve then answers on the service's and the operational
// routes with the relay running, and stops cleanly on cancel.
func TestServeLifecycle(t *testing.T) {
	db := testkit.NewDatabase(t)
	addr := freeAddr(t)
	t.Setenv("DATABASE_URL", db.URL)
	t.Setenv("HTTP_ADDR", addr)
	t.Setenv("GREETING", "hi")
	t.Setenv("KAFKA_BROKERS", strings.Join(testkit.Brokers(t), ","))
	if url := os.Getenv("REOS_TEST_REDIS_URL"); url != "" {
		t.Setenv("REDIS_URL", url)
	}
	spec := demoSpec(t)
	var out bytes.Buffer

	err := service.Run(t.Context(), spec, []string{"serve"}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "refusing to start") {
		t.Fatalf("serve on an empty database = %v, want a refusal", err)
	}
	if err := service.Run(t.Context(), spec, []string{"migrate", "up"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "version 1 of 1 (up to date)") {
		t.Fatalf("migrate output: %q", out.String())
	}
	out.Reset()
	if err := service.Run(t.Context(), spec, []string{"seed"}, &out, io.Discard); err != nil || out.String() != "seeded\n" {
		t.Fatalf("seed: %v %q", err, out.String())
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- service.Run(ctx, spec, nil, io.Discard, io.Discard) }()
	waitFor(t, "http://"+addr+"/readyz")
	for path, want := range map[string]string{"/api/v1/greeting": "hi", "/healthz": `"ok"`, "/openapi.json": "3.1.0"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, b)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitFor(t *testing.T, url string) {
	t.Helper()
	var last string
	testkit.Eventually(t, 15*time.Second, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			return false
		}
		resp.Body.Close()
		last = resp.Status
		return resp.StatusCode == http.StatusOK
	}, func() string { return url + " never became ready; last: " + last })
}

// TestServeRunsWorkers: serve starts the App's workers beside the server,
// cancels their context on shutdown and waits for them; a worker that fails
// while serving ends serve with its error.
func TestServeRunsWorkers(t *testing.T) {
	db := testkit.NewDatabase(t)
	t.Setenv("DATABASE_URL", db.URL)
	t.Setenv("KAFKA_BROKERS", strings.Join(testkit.Brokers(t), ","))
	if url := os.Getenv("REOS_TEST_REDIS_URL"); url != "" {
		t.Setenv("REDIS_URL", url)
	}
	if err := service.Run(t.Context(), demoSpec(t), []string{"migrate", "up"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	withWorkers := func(workers ...service.Worker) service.Spec[demoConfig] {
		spec := demoSpec(t)
		build := spec.Build
		spec.Build = func(ctx context.Context, rt service.Runtime[demoConfig]) (service.App, error) {
			app, err := build(ctx, rt)
			app.Workers = workers
			return app, err
		}
		return spec
	}

	started, stopped := make(chan struct{}), make(chan struct{})
	spec := withWorkers(service.Worker{Name: "waiter", Run: func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		close(stopped)
		return ctx.Err() // context.Canceled on shutdown is a clean stop
	}})
	addr := freeAddr(t)
	t.Setenv("HTTP_ADDR", addr)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- service.Run(ctx, spec, nil, io.Discard, io.Discard) }()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("serve returned %v before the worker started", err)
	case <-time.After(15 * time.Second):
		t.Fatal("worker never started")
	}
	waitFor(t, "http://"+addr+"/readyz")
	select {
	case <-stopped:
		t.Fatal("worker stopped while serving")
	default:
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	select {
	case <-stopped:
	default:
		t.Fatal("serve returned before the worker stopped")
	}

	boom := errors.New("boom")
	spec = withWorkers(
		service.Worker{Name: "waiter", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }},
		service.Worker{Name: "failing", Run: func(context.Context) error { return boom }},
	)
	t.Setenv("HTTP_ADDR", freeAddr(t))
	go func() { done <- service.Run(t.Context(), spec, nil, io.Discard, io.Discard) }()
	select {
	case err := <-done:
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "failing") {
			t.Fatalf("serve with a failing worker = %v, want its error", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a failing worker did not end serve")
	}
}
