package webhookhttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"reos.dev/pkg/httpx"
	"reos.dev/pkg/standardwebhooks"
	"reos.dev/services/platform/internal/app"
)

// Verdicts of one attempt (app's).
const (
	Delivered = app.VerdictDelivered
	Retry     = app.VerdictRetry
	Gone      = app.VerdictGone
)

// ExcerptBytes bounds the response excerpt kept of an answer.
const ExcerptBytes = 1024

// Message is one attempt's content (app.Attempt): the stable message id,
// the time it is signed at, the JSON body and the keys that sign it.
type Message = app.Attempt

// Outcome is what one attempt gave (app.Outcome).
type Outcome = app.Outcome

// Sender posts signed messages through a guarded transport.
type Sender struct {
	client *http.Client
	now    func() time.Time
}

// NewSender returns a sender whose connections go through guard, each
// attempt bounded by timeout; now is the clock Retry-After dates are read
// against.
func NewSender(guard *Guard, timeout time.Duration, now func() time.Time) *Sender {
	return &Sender{
		client: &http.Client{
			Transport: guard.Transport(timeout),
			Timeout:   timeout,
			// A redirect is an answer like any other (not 2xx: retried); it
			// is never followed, so it cannot lead anywhere unchecked.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: now,
	}
}

var _ app.Sender = (*Sender)(nil)

// Send makes one attempt.
func (s *Sender) Send(ctx context.Context, m Message) Outcome {
	start := time.Now()
	out := s.send(ctx, m)
	out.Duration = time.Since(start)
	return out
}

func (s *Sender) send(ctx context.Context, m Message) Outcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Outcome{Verdict: Retry, Error: "the endpoint URL is not usable"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "reos-webhooks/1")
	if err := standardwebhooks.Sign(req.Header, m.ID, m.At, m.Body, m.Keys...); err != nil {
		return Outcome{Verdict: Retry, Error: err.Error()}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return Outcome{Verdict: Retry, Error: describe(err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, ExcerptBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
	out := Outcome{Status: resp.StatusCode, Excerpt: strings.ToValidUTF8(string(body), "?")}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		out.Verdict = Delivered
	case resp.StatusCode == http.StatusGone:
		out.Verdict = Gone
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout:
		out.Verdict = Retry
		out.RetryAfter = httpx.RetryAfter(resp.Header.Get("Retry-After"), s.now())
	default:
		out.Verdict = Retry
	}
	return out
}

// describe says why no answer came, without the URL (it may carry a
// token the subscriber put in it).
func describe(err error) string {
	switch {
	case errors.Is(err, ErrBlockedAddress):
		return "refused: the endpoint resolves to an address that is not allowed"
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout"):
		return "timed out"
	default:
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			return "no answer: " + ue.Unwrap().Error()
		}
		return "no answer"
	}
}
