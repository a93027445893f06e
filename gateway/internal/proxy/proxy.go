// Package proxy forwards requests to upstream services.
//
// One httputil.ReverseProxy (Rewrite hook, shared tuned transport) serves
// every upstream; the target of each request comes from service discovery.
// Each upstream has its own circuit breaker (sony/gobreaker): transport
// errors, timeouts and 502/503/504 answers count as failures; after
// BreakerFailures consecutive failures the breaker opens and requests fail
// fast with 503 upstream_unavailable and Retry-After, until BreakerOpenTimeout
// passes and one trial request is let through (half-open). A client that
// hangs up counts neither way.
//
// Timeouts bound waiting, never a body's length, so an upload or download
// of any size goes through as long as it keeps moving:
//
//   - Timeout (UPSTREAM_TIMEOUT) bounds the wait for the upstream's response
//     headers, counted from when the request body has been forwarded (at
//     once for a request without one). Expiry is 504 upstream_timeout and
//     counts for the breaker.
//   - IdleTimeout (BODY_IDLE_TIMEOUT) bounds each wait on the upstream for
//     the next step of a body: to take more of the request body (or to be
//     dialled and take the first bytes), and to send more of the response
//     body. Before the headers its expiry is a 504 that counts; after them
//     the response is cut (the breaker has heard about the headers already).
//     A text/event-stream response is exempt: an SSE stream may be quiet.
//   - The client's own pauses (not sending its body, not reading the
//     response) are bounded on its connection by the server's
//     httpx.IdleDeadlines. A body the client stopped sending, or whose
//     connection broke, is its doing: 408 request_body_timeout or 400
//     upload_interrupted, logged at info, not counted by the breaker.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"reos.dev/gateway/internal/clientip"
	"reos.dev/gateway/internal/headers"
	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/logging"
)

// Defaults for Config.
const (
	DefaultTimeout            = 30 * time.Second
	DefaultIdleTimeout        = 60 * time.Second
	DefaultBreakerFailures    = 5
	DefaultBreakerOpenTimeout = 10 * time.Second
)

// Problem reasons written by the proxy.
const (
	ReasonUnavailable = "upstream_unavailable"
	ReasonBadGateway  = "upstream_error"
	ReasonTimeout     = "upstream_timeout"
	// ReasonBodyTimeout: the client stopped sending its request body.
	ReasonBodyTimeout = "request_body_timeout"
	// ReasonInterrupted: the client's request body broke off (the same
	// reason pkg/storage gives a service's interrupted upload).
	ReasonInterrupted = "upload_interrupted"
)

var (
	errTimeout        = errors.New("proxy: upstream timeout")
	errStalled        = errors.New("proxy: upstream stalled mid-body")
	errUpstreamStatus = errors.New("proxy: upstream answered 502, 503 or 504")
	errClientGone     = errors.New("proxy: client went away")
)

// Config configures a Proxy.
type Config struct {
	Upstreams          []string
	Transport          http.RoundTripper
	Timeout            time.Duration
	IdleTimeout        time.Duration
	BreakerFailures    uint32
	BreakerOpenTimeout time.Duration
	Trusted            *clientip.Resolver
	Logger             *slog.Logger
	Registerer         prometheus.Registerer
}

// Proxy forwards requests. It is safe for concurrent use.
type Proxy struct {
	rp          *httputil.ReverseProxy
	upstreams   map[string]*Upstream
	timeout     time.Duration
	idleTimeout time.Duration
	openTimeout time.Duration
	trusted     *clientip.Resolver
	logger      *slog.Logger
}

// Upstream is one service's breaker and instruments.
type Upstream struct {
	name     string
	breaker  *gobreaker.TwoStepCircuitBreaker[struct{}]
	observe  [6]prometheus.Observer // by status class; 0 = other
	rejected prometheus.Counter
}

// Name returns the service name.
func (u *Upstream) Name() string { return u.name }

// Open reports whether the breaker currently refuses requests.
func (u *Upstream) Open() bool { return u.breaker.State() == gobreaker.StateOpen }

// State returns the breaker state: "closed", "half-open" or "open".
func (u *Upstream) State() string { return u.breaker.State().String() }

// New builds the proxy and registers its metrics.
func New(cfg Config) (*Proxy, error) {
	if cfg.Logger == nil || cfg.Trusted == nil || cfg.Registerer == nil || cfg.Transport == nil {
		return nil, errors.New("proxy: Logger, Trusted, Registerer and Transport are required")
	}
	p := &Proxy{
		upstreams:   map[string]*Upstream{},
		timeout:     cfg.Timeout,
		idleTimeout: cfg.IdleTimeout,
		openTimeout: cfg.BreakerOpenTimeout,
		trusted:     cfg.Trusted,
		logger:      cfg.Logger.With("component", "proxy"),
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.idleTimeout <= 0 {
		p.idleTimeout = DefaultIdleTimeout
	}
	if p.openTimeout <= 0 {
		p.openTimeout = DefaultBreakerOpenTimeout
	}
	failures := cfg.BreakerFailures
	if failures == 0 {
		failures = DefaultBreakerFailures
	}

	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gateway_upstream_request_duration_seconds",
		Help:    "Proxied request latency by upstream and status class (499 = client went away).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"upstream", "class"})
	state := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gateway_upstream_breaker_state",
		Help: "Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open.",
	}, []string{"upstream"})
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_upstream_breaker_rejections_total",
		Help: "Requests refused because the upstream's breaker was open.",
	}, []string{"upstream"})
	for _, c := range []prometheus.Collector{duration, state, rejected} {
		if err := cfg.Registerer.Register(c); err != nil {
			return nil, fmt.Errorf("proxy: register metrics: %w", err)
		}
	}

	classes := [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}
	for _, name := range cfg.Upstreams {
		u := &Upstream{name: name, rejected: rejected.WithLabelValues(name)}
		for i, c := range classes {
			u.observe[i] = duration.WithLabelValues(name, c)
		}
		gauge := state.WithLabelValues(name)
		gauge.Set(0)
		u.breaker = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        name,
			MaxRequests: 1,
			Timeout:     p.openTimeout,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
			IsExcluded:  func(err error) bool { return errors.Is(err, errClientGone) },
			OnStateChange: func(name string, from, to gobreaker.State) {
				gauge.Set(float64(to))
				p.logger.Warn("circuit breaker state change", "upstream", name, "from", from.String(), "to", to.String())
			},
		})
		p.upstreams[name] = u
	}

	p.rp = &httputil.ReverseProxy{
		Rewrite:   p.rewrite,
		Transport: cfg.Transport,
		// 0, not -1: ReverseProxy already flushes every write of a
		// text/event-stream or unknown-length (streamed) response, so SSE and
		// long polls stream through; a response of known length goes out in
		// one write instead of a syscall per flush (measured: forced flushing
		// cost ~15% of the gateway's CPU on GET /auth/me).
		FlushInterval:  0,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
		ErrorLog:       slog.NewLogLogger(p.logger.Handler(), slog.LevelWarn),
		// Without a pool every response body copy allocates a 32 KiB buffer.
		BufferPool: &bufferPool{},
	}
	return p, nil
}

// bufferPool recycles the body copy buffers of the reverse proxy.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// Upstream returns the named upstream, nil when unknown.
func (p *Proxy) Upstream(name string) *Upstream { return p.upstreams[name] }

// WriteUnavailable answers 503 upstream_unavailable with Retry-After.
func (p *Proxy) WriteUnavailable(w http.ResponseWriter, r *http.Request, detail string) {
	e := apperr.New(apperr.KindUnavailable, ReasonUnavailable, detail)
	e.RetryAfter = p.openTimeout
	httpx.WriteError(w, r, nil, e)
}

type exchangeKey struct{}

// Phases of an exchange, for the timers.
const (
	phaseSending  = iota // forwarding the request body
	phaseWaiting         // body forwarded, waiting for the headers
	phaseAnswered        // headers in; the response body (if any) flows
)

// exchange is the state of one proxied request, shared by the hooks. The
// request body is read on the transport's goroutine, everything else on
// the handler's; mu guards what both touch.
type exchange struct {
	name    string
	target  *url.URL
	done    func(error)
	status  int
	noStore bool

	timeout, idleTimeout time.Duration
	// wait runs Timeout from the body's end to the headers; idle runs
	// IdleTimeout whenever the upstream owes the next step of a body.
	wait, idle *time.Timer

	mu      sync.Mutex
	phase   int
	bodyErr error // why reading the client's body failed
}

func (x *exchange) report(err error) {
	if x.done != nil {
		x.done(err)
		x.done = nil
	}
}

// answered moves to the response phase: the header timers stop.
func (x *exchange) answered() {
	x.mu.Lock()
	x.phase = phaseAnswered
	x.wait.Stop()
	x.idle.Stop()
	x.mu.Unlock()
}

func (x *exchange) clientBodyErr() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.bodyErr
}

// Options vary how one request is forwarded.
type Options struct {
	// NoStore marks an answer that carries credentials (tokens, a temporary
	// password): it goes out with Cache-Control: no-store whatever the
	// service said, so that no cache keeps it (RFC 6749 §5.1 asks this of
	// token answers).
	NoStore bool
}

// Serve forwards r to target (a base URL of upstream u).
func (p *Proxy) Serve(w http.ResponseWriter, r *http.Request, u *Upstream, target *url.URL, opts Options) {
	done, err := u.breaker.Allow()
	if err != nil {
		u.rejected.Inc()
		p.WriteUnavailable(w, r, "the "+u.name+" service is failing; retry later")
		return
	}
	ctx, cancel := context.WithCancelCause(r.Context())
	x := &exchange{name: u.name, target: target, done: done, timeout: p.timeout, idleTimeout: p.idleTimeout, noStore: opts.NoStore}
	x.wait = time.AfterFunc(p.timeout, func() { cancel(errTimeout) })
	x.idle = time.AfterFunc(p.idleTimeout, func() { cancel(errStalled) })
	out := r.WithContext(context.WithValue(ctx, exchangeKey{}, x))
	// The same test as ReverseProxy's, which sends no body for length 0.
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		// Sending: the idle timer runs until the transport, having dialled
		// and written the headers, asks for the first bytes.
		x.wait.Stop()
		out.Body = &upload{ReadCloser: r.Body, x: x}
	} else {
		x.phase = phaseWaiting
		x.idle.Stop()
	}
	start := time.Now()
	// Deferred so it also runs when ReverseProxy panics with
	// http.ErrAbortHandler (a response cut mid-body); the breaker has then
	// already heard about the headers and report is a no-op.
	defer func() {
		x.mu.Lock()
		answered := x.phase == phaseAnswered
		x.mu.Unlock()
		if answered && errors.Is(context.Cause(ctx), errStalled) {
			p.logger.WarnContext(r.Context(), "upstream stopped sending the response body; response cut",
				"upstream", x.name, "target", x.target.Host, "idle", p.idleTimeout.String())
		}
		x.wait.Stop()
		x.idle.Stop()
		cancel(nil)
		x.report(errClientGone)
		u.observe[classOf(x.status)].Observe(time.Since(start).Seconds())
	}()
	p.rp.ServeHTTP(w, out)
}

// upload is the client's request body on its way to the upstream. While
// it is read, the client's pauses are its connection's business (the read
// deadline); between reads the upstream owes taking the bytes, which the
// idle timer bounds. Its end starts the wait for the headers.
type upload struct {
	io.ReadCloser
	x *exchange
}

func (b *upload) Read(p []byte) (int, error) {
	x := b.x
	x.mu.Lock()
	if x.phase == phaseSending {
		x.idle.Stop()
	}
	x.mu.Unlock()
	n, err := b.ReadCloser.Read(p)
	x.mu.Lock()
	if x.phase == phaseSending {
		switch {
		case err == io.EOF:
			x.phase = phaseWaiting
			x.wait.Reset(x.timeout)
		case err != nil:
			x.bodyErr = err
		default:
			x.idle.Reset(x.idleTimeout)
		}
	}
	x.mu.Unlock()
	return n, err
}

// download is the upstream's response body: each read waits at most the
// idle timeout for bytes. The client's pace of reading is bounded on its
// own connection (the write deadline).
type download struct {
	io.ReadCloser
	x *exchange
}

func (d *download) Read(p []byte) (int, error) {
	d.x.idle.Reset(d.x.idleTimeout)
	n, err := d.ReadCloser.Read(p)
	d.x.idle.Stop()
	if errors.Is(err, errStalled) {
		// Serve logs the cut with the request's details; as a plain
		// cancellation ReverseProxy does not log it a second time.
		err = context.Canceled
	}
	return n, err
}

func classOf(status int) int {
	if c := status / 100; c >= 1 && c <= 5 {
		return c
	}
	return 0
}

func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	x := pr.In.Context().Value(exchangeKey{}).(*exchange)
	pr.SetURL(x.target)
	in, out := pr.In, pr.Out.Header

	// The client address: the right-most X-Forwarded-For hop that is not a
	// trusted proxy (the peer itself when the peer is not one). The service
	// is told that address and nothing the client wrote: X-Real-IP is it,
	// X-Forwarded-For is it followed by the peer (when they differ), and a
	// client's own X-Real-IP or Forwarded never passes. Services record
	// X-Real-IP (identity's login attempts) and believe it because only the
	// gateway reaches them.
	host, _, err := net.SplitHostPort(in.RemoteAddr)
	if err != nil {
		host = in.RemoteAddr
	}
	peer := clientip.PeerAddr(in.RemoteAddr)
	trusted := p.trusted.Trusted(peer)
	client := host
	if a := p.trusted.ClientIP(in.RemoteAddr, in.Header["X-Forwarded-For"]); a.IsValid() && a != peer {
		client = a.String()
	}
	xff := client
	if client != host {
		xff = client + ", " + host
	}
	out["X-Forwarded-For"] = []string{xff}
	out["X-Real-Ip"] = []string{client}
	delete(out, "Forwarded")
	proto := "http"
	if in.TLS != nil {
		proto = "https"
	}
	if v := in.Header.Get("X-Forwarded-Proto"); trusted && (v == "https" || v == "http") {
		proto = v
	}
	out["X-Forwarded-Proto"] = []string{proto}
	fwdHost := in.Host
	if v := in.Header.Get("X-Forwarded-Host"); trusted && v != "" {
		fwdHost = v
	}
	out["X-Forwarded-Host"] = []string{fwdHost}
	if id := logging.RequestID(in.Context()); id != "" {
		out[httpx.HeaderRequestID] = []string{id}
	}
}

func (p *Proxy) modifyResponse(resp *http.Response) error {
	x := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	x.status = resp.StatusCode
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		x.report(errUpstreamStatus)
	default:
		x.report(nil)
	}
	x.answered()
	// Not for an SSE stream (it may be quiet), an upgraded connection
	// (ReverseProxy needs its body as it is) or no body at all.
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.Body != http.NoBody &&
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body = &download{ReadCloser: resp.Body, x: x}
	}
	headers.StripUpstream(resp.Header)
	// The gateway already set these on the response; the service's copies
	// (its echo of the request id, its own view of limits) would duplicate them.
	delete(resp.Header, "X-Request-Id")
	delete(resp.Header, "Ratelimit")
	delete(resp.Header, "Ratelimit-Policy")
	if resp.StatusCode >= 400 || x.noStore {
		resp.Header["Cache-Control"] = []string{"no-store"}
	}
	return nil
}

func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	x := r.Context().Value(exchangeKey{}).(*exchange)
	cause := context.Cause(r.Context())
	switch bodyErr := x.clientBodyErr(); {
	case bodyErr != nil:
		// The client's side of the upload failed; the upstream only saw
		// its request end early.
		x.report(errClientGone)
		p.logger.InfoContext(r.Context(), "client request body failed; upload not forwarded", "error", bodyErr, "upstream", x.name)
		var ne net.Error
		if errors.As(bodyErr, &ne) && ne.Timeout() {
			x.status = http.StatusRequestTimeout
			httpx.WriteProblem(w, r, httpx.Problem{
				Type: httpx.ProblemTypeBase + ReasonBodyTimeout, Title: http.StatusText(http.StatusRequestTimeout),
				Status: http.StatusRequestTimeout, Detail: "the request body stopped arriving for " + p.idleTimeout.String(),
			})
			return
		}
		x.status = http.StatusBadRequest
		httpx.WriteProblem(w, r, httpx.Problem{
			Type: httpx.ProblemTypeBase + ReasonInterrupted, Title: http.StatusText(http.StatusBadRequest),
			Status: http.StatusBadRequest, Detail: "the request body ended before it was complete",
			Errors: []apperr.FieldError{{Field: "body", Message: "was not received completely"}},
		})
	case errors.Is(cause, errTimeout), errors.Is(cause, errStalled):
		x.report(errTimeout)
		x.status = http.StatusGatewayTimeout
		detail := "the service did not answer in time"
		if errors.Is(cause, errStalled) {
			detail = "the service stopped taking the request body"
		}
		httpx.WriteProblem(w, r, httpx.Problem{
			Type: httpx.ProblemTypeBase + ReasonTimeout, Title: http.StatusText(http.StatusGatewayTimeout),
			Status: http.StatusGatewayTimeout, Detail: detail,
		})
	case r.Context().Err() != nil:
		// The client hung up; nobody is left to read an answer.
		x.report(errClientGone)
		x.status = 499
	default:
		x.report(err)
		x.status = http.StatusBadGateway
		p.logger.WarnContext(r.Context(), "upstream request failed", "error", err, "upstream", x.name, "target", x.target.Host)
		httpx.WriteProblem(w, r, httpx.Problem{
			Type: httpx.ProblemTypeBase + ReasonBadGateway, Title: http.StatusText(http.StatusBadGateway),
			Status: http.StatusBadGateway, Detail: "the service could not be reached",
		})
	}
}
