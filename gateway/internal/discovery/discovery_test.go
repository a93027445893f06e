package discovery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reos.dev/gateway/internal/discovery"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
)

func TestParseStatic(t *testing.T) {
	t.Parallel()
	known := []string{"identity", "crm"}
	s, err := discovery.ParseStatic(" identity=http://127.0.0.1:8101/ , crm=http://a:1|http://b:2", known)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Resolve("identity")
	if err != nil || u.String() != "http://127.0.0.1:8101" {
		t.Errorf("identity = %v, %v", u, err)
	}
	seen := map[string]int{}
	for range 4 {
		u, err := s.Resolve("crm")
		if err != nil {
			t.Fatal(err)
		}
		seen[u.Host]++
	}
	if seen["a:1"] != 2 || seen["b:2"] != 2 {
		t.Errorf("round robin: %v", seen)
	}
	if _, err := s.Resolve("portfolio"); !errors.Is(err, discovery.ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
	for _, bad := range []string{"identity", "identity=", "=http://a:1", "nope=http://a:1", "identity=ftp://a",
		"identity=http://a:1/path", "identity=http://a:1?x=1", "identity=http://u:p@a:1", "identity=http://a:1,identity=http://b:1"} {
		if _, err := discovery.ParseStatic(bad, known); err == nil {
			t.Errorf("ParseStatic(%q) accepted", bad)
		}
	}
	if s, err := discovery.ParseStatic("", known); err != nil || len(s.Services()) != 0 {
		t.Errorf("empty spec: %v %v", s, err)
	}
}

// fakeConsul serves /v1/health/service/<name> like Consul does, including
// blocking queries: a request with ?index=N waits until the index moves
// past N or the wait time passes.
type fakeConsul struct {
	mu      sync.Mutex
	index   uint64
	entries map[string][]map[string]any
	changed chan struct{}
	passing []string // the "passing" query parameter of each request
}

func newFakeConsul() *fakeConsul {
	return &fakeConsul{index: 1, entries: map[string][]map[string]any{}, changed: make(chan struct{})}
}

func (f *fakeConsul) setInstances(service string, hostports ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var list []map[string]any
	for _, hp := range hostports {
		host, port, _ := strings.Cut(hp, ":")
		p, _ := strconv.Atoi(port)
		svcAddr := host
		if host == "node" {
			svcAddr = "" // fall back to the node address
		}
		list = append(list, map[string]any{
			"Node":    map[string]any{"Node": "n1", "Address": "10.9.9.9"},
			"Service": map[string]any{"ID": service + hp, "Service": service, "Address": svcAddr, "Port": p},
			"Checks":  []any{},
		})
	}
	f.entries[service] = list
	f.index++
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeConsul) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/v1/health/service/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	f.passing = append(f.passing, r.URL.Query().Get("passing"))
	wait, _ := strconv.ParseUint(r.URL.Query().Get("index"), 10, 64)
	ch := f.changed
	idx := f.index
	f.mu.Unlock()
	if wait != 0 && wait >= idx {
		select {
		case <-ch:
		case <-time.After(200 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
	}
	f.mu.Lock()
	body, _ := json.Marshal(f.entries[name])
	idx = f.index
	f.mu.Unlock()
	if string(body) == "null" {
		body = []byte("[]")
	}
	w.Header().Set("X-Consul-Index", fmt.Sprint(idx))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func TestConsulResolver(t *testing.T) {
	t.Parallel()
	fc := newFakeConsul()
	fc.setInstances("identity", "10.0.0.1:8101", "10.0.0.2:8101")
	srv := httptest.NewServer(fc)
	t.Cleanup(srv.Close)

	c, err := discovery.NewConsul(discovery.ConsulConfig{
		Address: srv.URL, Services: []string{"identity", "crm"}, WaitTime: time.Second, Logger: logging.Discard(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := c.WaitReady(wctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for range 4 {
		u, err := c.Resolve("identity")
		if err != nil {
			t.Fatal(err)
		}
		seen[u.String()]++
	}
	if seen["http://10.0.0.1:8101"] != 2 || seen["http://10.0.0.2:8101"] != 2 {
		t.Errorf("round robin over Consul instances: %v", seen)
	}
	if _, err := c.Resolve("crm"); !errors.Is(err, discovery.ErrNoInstances) {
		t.Errorf("crm without instances: %v", err)
	}
	if _, err := c.Resolve("nope"); !errors.Is(err, discovery.ErrNotConfigured) {
		t.Errorf("unwatched service: %v", err)
	}

	// A change in Consul reaches the resolver through the blocking query.
	fc.setInstances("crm", "node:8103")
	var crm *url.URL
	testkit.Eventually(t, 5*time.Second, func() bool {
		crm, err = c.Resolve("crm")
		return err == nil
	}, func() string { return fmt.Sprintf("the new crm instance never appeared; last: %v", err) })
	if crm.String() != "http://10.9.9.9:8103" {
		t.Errorf("crm = %s, want the node address when the service has none", crm)
	}
	fc.setInstances("identity")
	testkit.Eventually(t, 5*time.Second, func() bool {
		_, err = c.Resolve("identity")
		return errors.Is(err, discovery.ErrNoInstances)
	}, func() string { return fmt.Sprintf("identity instances never went away; last: %v", err) })
	fc.mu.Lock()
	defer fc.mu.Unlock()
	for _, p := range fc.passing {
		if p != "1" {
			t.Errorf("passing = %q", p)
		}
	}
	if len(fc.passing) == 0 {
		t.Error("no health query seen")
	}
}

func TestConsulKeepsInstancesWhenConsulFails(t *testing.T) {
	t.Parallel()
	fc := newFakeConsul()
	fc.setInstances("identity", "10.0.0.1:8101")
	var broken sync.Mutex
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		broken.Lock()
		f := fail
		broken.Unlock()
		if f {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fc.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	logs := &lockedBuffer{}
	c, err := discovery.NewConsul(discovery.ConsulConfig{Address: srv.URL, Services: []string{"identity"}, WaitTime: time.Second,
		Logger: logging.New(logs, "info", "gateway")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	broken.Lock()
	fail = true
	broken.Unlock()
	fc.setInstances("identity", "10.0.0.1:8101") // wake the blocking query into the failure
	// The watcher logs a failed lookup once it has handled it (kept or
	// dropped the instances); the resolver is asked after that.
	testkit.Eventually(t, 5*time.Second, func() bool {
		return strings.Contains(logs.String(), `"msg":"consul lookup failed; keeping the last known instances"`)
	}, func() string { return "the watcher never saw Consul fail; logs:\n" + logs.String() })
	if u, err := c.Resolve("identity"); err != nil || u.Host != "10.0.0.1:8101" {
		t.Errorf("after Consul failed: %v %v, want the last known instance", u, err)
	}
}

// lockedBuffer collects log records written from the watchers' goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestNewConsulValidates(t *testing.T) {
	t.Parallel()
	for _, cfg := range []discovery.ConsulConfig{
		{Services: []string{"a"}, Logger: logging.Discard()},
		{Address: "127.0.0.1:8500", Logger: logging.Discard()},
		{Address: "127.0.0.1:8500", Services: []string{"a"}},
	} {
		if _, err := discovery.NewConsul(cfg); err == nil {
			t.Errorf("NewConsul(%+v) accepted", cfg)
		}
	}
}
