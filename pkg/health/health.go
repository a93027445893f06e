// Package health serves the liveness and readiness endpoints every binary
// exposes: /healthz says the process is up, /readyz runs the registered
// dependency checks (PostgreSQL, Redis, the broker) and reports each one.
package health

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// CheckTimeout bounds each check, so one hung dependency cannot stall
// /readyz past a probe's own timeout.
const CheckTimeout = 2 * time.Second

// Status values in a Report.
const (
	StatusOK          = "ok"
	StatusUnavailable = "unavailable"
)

// CheckFunc reports whether one dependency is usable; nil means it is.
type CheckFunc func(ctx context.Context) error

// Checker holds the named readiness checks of one binary.
type Checker struct {
	logger *slog.Logger
	mu     sync.RWMutex
	names  []string
	checks map[string]CheckFunc
}

// Report is the /readyz body.
type Report struct {
	Status string                 `json:"status"`
	Checks map[string]CheckResult `json:"checks"`
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Status    string  `json:"status"`
	Error     string  `json:"error,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
}

// New returns a Checker with no checks; it panics on a nil logger because
// failing checks must be logged somewhere.
func New(logger *slog.Logger) *Checker {
	if logger == nil {
		panic("health: New: nil logger")
	}
	return &Checker{logger: logger.With("component", "health"), checks: map[string]CheckFunc{}}
}

// Add registers a readiness check. It panics on an empty or duplicate name
// or a nil fn: both are wiring mistakes that should stop the binary at start.
func (c *Checker) Add(name string, fn CheckFunc) {
	if name == "" || fn == nil {
		panic("health: Add: empty name or nil check")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.checks[name]; dup {
		panic(fmt.Sprintf("health: Add: check %q registered twice", name))
	}
	c.names = append(c.names, name)
	c.checks[name] = fn
}

// Check runs every check concurrently, each under CheckTimeout, and
// reports "ok" only when all pass.
func (c *Checker) Check(ctx context.Context) Report {
	c.mu.RLock()
	names := append([]string(nil), c.names...)
	checks := make([]CheckFunc, len(names))
	for i, n := range names {
		checks[i] = c.checks[n]
	}
	c.mu.RUnlock()

	results := make([]CheckResult, len(names))
	var wg sync.WaitGroup
	for i := range names {
		wg.Go(func() { results[i] = run(ctx, checks[i]) })
	}
	wg.Wait()

	report := Report{Status: StatusOK, Checks: make(map[string]CheckResult, len(names))}
	for i, n := range names {
		report.Checks[n] = results[i]
		if results[i].Status != StatusOK {
			report.Status = StatusUnavailable
			c.logger.WarnContext(ctx, "readiness check failed", "check", n, "error", results[i].Error, "latency_ms", results[i].LatencyMS)
		}
	}
	return report
}

func run(ctx context.Context, fn CheckFunc) (res CheckResult) {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	start := time.Now()
	defer func() { res.LatencyMS = float64(time.Since(start).Microseconds()) / 1000 }()
	// Run in its own goroutine so a check that ignores ctx still cannot
	// hold the response past CheckTimeout.
	done := make(chan error, 1)
	go func() {
		defer func() {
			// A panicking check is a failing check, not a crashed server.
			if p := recover(); p != nil {
				done <- fmt.Errorf("check panicked: %v", p)
			}
		}()
		done <- fn(ctx)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = fmt.Errorf("check did not finish: %w", ctx.Err())
	}
	if err != nil {
		return CheckResult{Status: StatusUnavailable, Error: err.Error()}
	}
	return CheckResult{Status: StatusOK}
}

// Healthz answers 200 {"status":"ok"} while the process can serve HTTP at
// all; it checks no dependency, so an outage never gets the pod restarted.
func (c *Checker) Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": StatusOK})
	})
}

// Readyz answers 200 with the Report when every check passes and 503 with
// it when any fails, naming the failing checks.
func (c *Checker) Readyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		report := c.Check(r.Context())
		status := http.StatusOK
		if report.Status != StatusOK {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, report)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
