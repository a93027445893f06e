package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"reos.dev/gateway/internal/clientip"
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

// publicReport is what /readyz tells a caller that is not direct (see
// direct): each check's and upstream's name and status, nothing else. The
// errors name internal addresses ("dial tcp 127.0.0.1:8102 …") and the
// latencies and breaker states describe the inside; both go to the log.
type publicReport struct {
	Status    string                  `json:"status"`
	Checks    map[string]publicStatus `json:"checks"`
	Upstreams map[string]publicStatus `json:"upstreams"`
}

type publicStatus struct {
	Status string `json:"status"`
}

func (r readyReport) public() publicReport {
	p := publicReport{
		Status:    r.Status,
		Checks:    make(map[string]publicStatus, len(r.Checks)),
		Upstreams: make(map[string]publicStatus, len(r.Upstreams)),
	}
	for name, c := range r.Checks {
		p.Checks[name] = publicStatus{Status: c.Status}
	}
	for name, u := range r.Upstreams {
		p.Upstreams[name] = publicStatus{Status: u.Status}
	}
	return p
}

// forwardingHeaders are the headers a proxy adds to what it passes on;
// nginx sets the first two on every request it forwards to the gateway.
var forwardingHeaders = [...]string{"X-Forwarded-For", "X-Real-IP", "Forwarded"}

// direct reports whether r reached the gateway's own port without passing
// through a proxy: its peer is loopback or a trusted address
// (TRUSTED_PROXIES) and it carries no forwarding header. That is an
// operator, `make up` or a probe on the gateway's network; anything that
// came through nginx, the public edge, carries X-Forwarded-For, and a
// caller elsewhere that reaches the port itself is not trusted. A client
// cannot pass for direct through nginx: nginx overwrites the headers, it
// never removes them.
func (s *Server) direct(r *http.Request) bool {
	for _, h := range forwardingHeaders {
		if len(r.Header.Values(h)) > 0 {
			return false
		}
	}
	peer := clientip.PeerAddr(r.RemoteAddr).Unmap()
	return peer.IsLoopback() || s.ips.Trusted(peer)
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var report health.Report
	ups := map[string]upstreamReport{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	// The checker logs its own failing checks.
	wg.Go(func() { report = s.checker.Check(ctx) })
	for _, name := range s.table.Upstreams() {
		wg.Go(func() {
			rep := s.probeUpstream(ctx, name)
			if rep.Status == health.StatusUnavailable {
				s.logger.WarnContext(ctx, "upstream not ready", "upstream", name, "error", rep.Error,
					"breaker", rep.Breaker, "latency_ms", rep.LatencyMS)
			}
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
	full := readyReport{Status: report.Status, Checks: report.Checks, Upstreams: ups}
	var body any = full.public()
	if s.direct(r) {
		body = full
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// An encoding error here is the client going away mid-answer; the
	// status is already sent and nothing is left to tell it.
	_ = json.NewEncoder(w).Encode(body)
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
			// Only the status matters. Reading a little of the body lets
			// the connection be reused; a failure to read or close it
			// says nothing about readiness that the status did not, and
			// the transport drops a broken connection by itself.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
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
