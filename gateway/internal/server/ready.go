package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"reos.dev/gateway/internal/discovery"
	"reos.dev/pkg/health"
)

// readyReport is the /readyz body: the gateway's own dependencies decide
// the status; the upstreams are reported for operators but do not fail the
// gateway's readiness, because a gateway taken out of rotation for one
// failing service would also stop serving the five healthy ones (the
// breakers already answer 503 fast for the failing one).
type readyReport struct {
	Status    string                        `json:"status"`
	Checks    map[string]health.CheckResult `json:"checks"`
	Upstreams map[string]upstreamReport     `json:"upstreams"`
}

type upstreamReport struct {
	Status    string  `json:"status"` // ok, unavailable, not_configured
	Breaker   string  `json:"breaker,omitempty"`
	Error     string  `json:"error,omitempty"`
	LatencyMS float64 `json:"latency_ms,omitempty"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var report health.Report
	ups := map[string]upstreamReport{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() { report = s.checker.Check(ctx) })
	for _, name := range s.table.Upstreams() {
		wg.Go(func() {
			rep := s.probeUpstream(ctx, name)
			mu.Lock()
			ups[name] = rep
			mu.Unlock()
		})
	}
	wg.Wait()
	status := http.StatusOK
	if report.Status != health.StatusOK {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(readyReport{Status: report.Status, Checks: report.Checks, Upstreams: ups})
}

func (s *Server) probeUpstream(ctx context.Context, name string) upstreamReport {
	rep := upstreamReport{}
	if up := s.proxy.Upstream(name); up != nil {
		rep.Breaker = up.State()
	}
	base, err := s.resolver.Resolve(name)
	if errors.Is(err, discovery.ErrNotConfigured) {
		rep.Status = "not_configured"
		return rep
	}
	if err != nil {
		rep.Status, rep.Error = health.StatusUnavailable, err.Error()
		return rep
	}
	ctx, cancel := context.WithTimeout(ctx, health.CheckTimeout)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+"/readyz", nil)
	if err == nil {
		var resp *http.Response
		resp, err = s.probe.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = errors.New(resp.Status)
			}
		}
	}
	rep.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		rep.Status, rep.Error = health.StatusUnavailable, err.Error()
		return rep
	}
	rep.Status = health.StatusOK
	return rep
}
