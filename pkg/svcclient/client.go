// Package svcclient is the one way a service calls another over HTTP.
//
// Each Client talks to one target service and gives every call:
//
//   - a timeout (the whole exchange, body included);
//   - a circuit breaker (sony/gobreaker): transport errors, timeouts and 5xx
//     answers count as failures, 4xx answers do not (the callee worked; the
//     request was wrong), and an open breaker fails fast with 503
//     dependency_unavailable naming the target instead of waiting on it;
//   - trace context (W3C traceparent through otelhttp's transport) and the
//     request id (X-Request-ID) of the calling request;
//   - the caller's identity: the user's own access token, passed on
//     unchanged (auth.BearerFrom, set by auth.Middleware). The callee
//     verifies it like any request and authorises it with the user's own
//     org and permissions, so a call on a user's behalf can never reach
//     more than the user could directly (no confused deputy), and no
//     service holds a credential of its own that could leak. A call
//     without a caller token is refused before anything is sent.
//   - answers decoded: 2xx JSON into the caller's value; a problem+json
//     answer into a *CallError that unwraps to the apperr kind of its status
//     (errors.Is(err, apperr.ErrNotFound) works), so the caller decides what
//     a callee's 404 or 422 means for its own answer.
package svcclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/logging"
)

// Defaults of Config.
const (
	DefaultTimeout          = 5 * time.Second
	DefaultBreakerFailures  = 5
	DefaultBreakerOpenFor   = 10 * time.Second
	DefaultMaxResponseBytes = 8 << 20
)

// ReasonDependencyUnavailable is the apperr reason of a call that could not
// be completed: the target is down, slow, failing (5xx) or its breaker open.
const ReasonDependencyUnavailable = "dependency_unavailable"

// Config configures a Client for one target service.
type Config struct {
	// Target names the callee ("property"); it appears in errors, logs and
	// the breaker's name.
	Target string
	// BaseURL is the callee's root, e.g. http://127.0.0.1:8102.
	BaseURL string
	// Logger records breaker state changes.
	Logger *slog.Logger
	// Timeout bounds each call (DefaultTimeout when 0).
	Timeout time.Duration
	// BreakerFailures consecutive failures open the breaker
	// (DefaultBreakerFailures when 0); it stays open for BreakerOpenFor
	// (DefaultBreakerOpenFor when 0), then lets one trial call through.
	BreakerFailures uint32
	BreakerOpenFor  time.Duration
	// MaxResponseBytes bounds a response body (DefaultMaxResponseBytes when 0).
	MaxResponseBytes int64
	// Transport sends the requests; nil means otelhttp over a clone of
	// http.DefaultTransport. A custom one should propagate trace context.
	Transport http.RoundTripper
	// Credentials gives the bearer token to send; nil means the caller's own
	// (auth.BearerFrom). Tests and future service credentials plug in here.
	Credentials func(ctx context.Context) (string, bool)
}

// Client calls one target service. It is safe for concurrent use.
type Client struct {
	target  string
	base    *url.URL
	http    *http.Client
	breaker *gobreaker.CircuitBreaker[*result]
	creds   func(ctx context.Context) (string, bool)
	timeout time.Duration
	maxBody int64
}

// result is one completed exchange: the status, headers and body read.
type result struct {
	status int
	header http.Header
	body   []byte
}

// New returns a Client; it rejects a missing target, base URL or logger.
func New(cfg Config) (*Client, error) {
	var problems []string
	if cfg.Target == "" {
		problems = append(problems, "Target is empty")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		problems = append(problems, fmt.Sprintf("BaseURL %q is not an absolute http(s) URL", cfg.BaseURL))
	}
	if cfg.Logger == nil {
		problems = append(problems, "Logger is nil")
	}
	if len(problems) > 0 {
		return nil, errors.New("svcclient: " + strings.Join(problems, "; "))
	}
	c := &Client{
		target:  cfg.Target,
		base:    base,
		creds:   cfg.Credentials,
		timeout: cfg.Timeout,
		maxBody: cfg.MaxResponseBytes,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.creds == nil {
		c.creds = auth.BearerFrom
	}
	transport := cfg.Transport
	if transport == nil {
		transport = otelhttp.NewTransport(http.DefaultTransport.(*http.Transport).Clone())
	}
	c.http = &http.Client{Transport: transport, CheckRedirect: noRedirects}
	failures := cfg.BreakerFailures
	if failures == 0 {
		failures = DefaultBreakerFailures
	}
	openFor := cfg.BreakerOpenFor
	if openFor <= 0 {
		openFor = DefaultBreakerOpenFor
	}
	logger := cfg.Logger.With("component", "svcclient", "target", cfg.Target)
	settings := gobreaker.Settings{
		Name:        "svcclient:" + cfg.Target,
		MaxRequests: 1,
		Timeout:     openFor,
		ReadyToTrip: func(counts gobreaker.Counts) bool { return counts.ConsecutiveFailures >= failures },
		// A call the caller gave up on says nothing about the callee.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			logger.Warn("circuit breaker changed state", "from", from.String(), "to", to.String())
		},
	}
	c.breaker = gobreaker.NewCircuitBreaker[*result](settings)
	return c, nil
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Get calls GET path (with its query) and decodes a 2xx JSON answer into out
// (nil discards it).
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.Do(ctx, http.MethodGet, path, nil, out)
}

// Do calls method path with in (nil for no body) as its JSON body and
// decodes a 2xx JSON answer into out (nil discards it). Errors: *CallError
// for a non-2xx answer (unwrapping to its apperr kind), apperr Unavailable
// (dependency_unavailable) when the callee cannot be reached, times out,
// fails with 5xx or its breaker is open, and a plain error for what is the
// caller's own bug (no caller token, a body that does not encode).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	token, ok := c.creds(ctx)
	if !ok {
		return fmt.Errorf("svcclient: call to %s %s without a caller token", c.target, path)
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("svcclient: encode request to %s: %w", c.target, err)
		}
	}
	ref, err := url.Parse(path)
	if err != nil || ref.IsAbs() || ref.Host != "" {
		return fmt.Errorf("svcclient: %q is not a path", path)
	}
	res, err := c.breaker.Execute(func() (*result, error) {
		return c.exchange(ctx, method, c.base.ResolveReference(ref), token, body)
	})
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return c.unavailable(err, "circuit open")
	case err != nil && res != nil:
		// A 5xx answer: the breaker counted it; the caller sees it too.
		return c.unavailable(c.callError(res), fmt.Sprintf("answered %d", res.status))
	case errors.Is(err, context.Canceled):
		return err
	case err != nil:
		return c.unavailable(err, "unreachable")
	case res.status < 200 || res.status > 299:
		return c.callError(res)
	}
	if out == nil || len(res.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		return c.unavailable(fmt.Errorf("decode answer: %w", err), "answered malformed JSON")
	}
	return nil
}

// exchange sends one request and reads its answer within the timeout. A 5xx
// answer is returned with an error, so the breaker counts it.
func (c *Client) exchange(ctx context.Context, method string, u *url.URL, token string, body []byte) (*result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if id := logging.RequestID(ctx); id != "" {
		req.Header.Set(httpx.HeaderRequestID, id)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > c.maxBody {
		return nil, fmt.Errorf("answer larger than %d bytes", c.maxBody)
	}
	res := &result{status: resp.StatusCode, header: resp.Header, body: data}
	if resp.StatusCode >= 500 {
		return res, fmt.Errorf("%s answered %d", c.target, resp.StatusCode)
	}
	return res, nil
}

func (c *Client) unavailable(cause error, what string) error {
	return apperr.Wrap(cause, apperr.KindUnavailable, ReasonDependencyUnavailable,
		fmt.Sprintf("the %s service is unavailable (%s)", c.target, what))
}

// CallError is a non-2xx answer of the callee.
type CallError struct {
	// Target is the callee's name; Status its HTTP status.
	Target string
	Status int
	// Problem is the answer's problem details (zero when it sent none).
	Problem httpx.Problem
	kind    *apperr.Error
}

func (e *CallError) Error() string {
	return fmt.Sprintf("%s answered %d %s: %s", e.Target, e.Status, e.kind.Reason, e.Problem.Detail)
}

// Unwrap returns the apperr error of the status's kind, with the callee's
// reason, message and fields, so errors.Is and apperr.As see through.
func (e *CallError) Unwrap() error { return e.kind }

func (c *Client) callError(res *result) *CallError {
	e := &CallError{Target: c.target, Status: res.status}
	if strings.HasPrefix(res.header.Get("Content-Type"), httpx.ContentTypeProblem) {
		_ = json.Unmarshal(res.body, &e.Problem)
	}
	reason := strings.TrimPrefix(e.Problem.Type, httpx.ProblemTypeBase)
	if reason == "" || reason == e.Problem.Type {
		reason = strings.ToLower(strings.ReplaceAll(http.StatusText(res.status), " ", "_"))
	}
	e.kind = apperr.New(KindOfStatus(res.status), reason, e.Problem.Detail)
	e.kind.Fields = e.Problem.Errors
	return e
}

// KindOfStatus maps an HTTP status to the apperr kind that httpx.StatusOf
// maps back to it (422 → Invalid); statuses without one are KindUnknown.
func KindOfStatus(status int) apperr.Kind {
	for _, k := range statusKinds {
		if httpx.StatusOf(k) == status {
			return k
		}
	}
	return apperr.KindUnknown
}

// statusKinds are the kinds tried by KindOfStatus, the first match winning
// where two share a status (Invalid before Unprocessable).
var statusKinds = []apperr.Kind{
	apperr.KindBadRequest, apperr.KindInvalid, apperr.KindNotFound, apperr.KindConflict,
	apperr.KindUnauthorized, apperr.KindForbidden, apperr.KindLocked, apperr.KindTooManyRequests,
	apperr.KindUnavailable, apperr.KindPrecondition, apperr.KindUnprocessable, apperr.KindTooLarge,
	apperr.KindUnsupportedMediaType,
}
