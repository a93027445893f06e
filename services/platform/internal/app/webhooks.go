package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/standardwebhooks"
	"reos.dev/services/platform/internal/domain"
)

// Permissions of the webhook endpoints.
const (
	PermWebhooksRead  = "webhooks:read"
	PermWebhooksWrite = "webhooks:write"
)

// Reasons of the webhooks' problems.
const (
	ReasonEndpointNotFound = "webhook_endpoint_not_found"
	ReasonMessageNotFound  = "webhook_message_not_found"
)

// Delivery verdicts recorded in the log (the sender's, and skipped).
const (
	VerdictDelivered = "delivered"
	VerdictRetry     = "retry"
	VerdictGone      = "gone"
)

// EventEndpointDisabled is published when an endpoint is disabled by its
// answers (410, or failing every attempt for FailingDisableAfter).
const EventEndpointDisabled = "reos.platform.webhook.endpoint.disabled"

// EventSource is the CloudEvents source of platform's events.
const EventSource = "reos.platform"

// Webhook limits.
const (
	maxURLLen           = 2048
	maxEventTypes       = 50
	maxDescription      = 500
	secretBytes         = 32
	rotationOverlap     = 24 * time.Hour
	FailingDisableAfter = 5 * 24 * time.Hour
)

// Endpoint is a webhook subscription of an organisation.
type Endpoint struct {
	ID             string     `json:"id"`
	OrgID          string     `json:"-"`
	URL            string     `json:"url"`
	Description    string     `json:"description"`
	EventTypes     []string   `json:"event_types"`
	Enabled        bool       `json:"enabled"`
	DisabledReason string     `json:"disabled_reason"`
	FailingSince   *time.Time `json:"failing_since"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// The secrets never leave in a list or a read: the create and the
	// rotation answer the new one (EndpointWithSecret).
	Secret         string     `json:"-"`
	PreviousSecret string     `json:"-"`
	PreviousUntil  *time.Time `json:"-"`
}

// EndpointWithSecret is an endpoint and its current secret.
type EndpointWithSecret struct {
	Endpoint
	Secret string `json:"secret"`
}

// Message is what one endpoint is sent for one event.
type Message struct {
	ID         string          `json:"id"`
	EndpointID string          `json:"endpoint_id"`
	EventID    string          `json:"event_id"`
	EventType  string          `json:"event_type"`
	Payload    json.RawMessage `json:"payload"`
	CreatedAt  time.Time       `json:"created_at"`
}

// Log is one delivery attempt.
type Log struct {
	ID              int64     `json:"id"`
	EndpointID      string    `json:"endpoint_id"`
	MessageID       string    `json:"message_id"`
	EventType       string    `json:"event_type"`
	Attempt         int       `json:"attempt"`
	Verdict         string    `json:"verdict"`
	Status          *int      `json:"status"`
	DurationMS      int       `json:"duration_ms"`
	ResponseExcerpt string    `json:"response_excerpt"`
	Error           string    `json:"error"`
	At              time.Time `json:"at"`
}

// PageRequest and Page are a list's page.
type PageRequest struct {
	Limit  int
	Cursor string
}

// Page is a page of items and the cursor of the next.
type Page[T any] struct {
	Items []T
	Next  string
}

// Event is a domain event as the webhooks see it.
type Event struct {
	ID, Type, Subject, OrgID string
	Time                     time.Time
	Data                     json.RawMessage
}

// WebhookStore runs a transaction in one organisation.
type WebhookStore interface {
	InOrg(ctx context.Context, orgID string, fn func(WebhookTx) error) error
}

// WebhookTx is one transaction's view of the webhook tables, the job
// queue and the outbox.
type WebhookTx interface {
	CreateEndpoint(ctx context.Context, e Endpoint) error
	Endpoint(ctx context.Context, id string) (Endpoint, error)
	ListEndpoints(ctx context.Context, p PageRequest) (Page[Endpoint], error)
	EnabledEndpoints(ctx context.Context) ([]Endpoint, error)
	UpdateEndpoint(ctx context.Context, e Endpoint) error
	DeleteEndpoint(ctx context.Context, id string) error
	// CreateMessage reports false when the endpoint has the event's
	// message already.
	CreateMessage(ctx context.Context, orgID string, m Message) (bool, error)
	Message(ctx context.Context, id string) (Message, error)
	Attempts(ctx context.Context, messageID string) (int, error)
	AddLog(ctx context.Context, orgID string, l Log) error
	ListLogs(ctx context.Context, endpointID string, p PageRequest) (Page[Log], error)
	EnqueueDelivery(ctx context.Context, orgID, messageID string, at time.Time) error
	Publish(ctx context.Context, orgID, eventType, subject string, data any) error
}

// Sender makes one delivery attempt.
type Sender interface {
	Send(ctx context.Context, a Attempt) Outcome
}

// Attempt is what the sender posts; Outcome what came of it.
type Attempt struct {
	URL  string
	ID   string
	At   time.Time
	Body []byte
	Keys [][]byte
}

// Outcome of one attempt (Verdict one of the Verdict constants).
type Outcome struct {
	Verdict    string
	Status     int
	Duration   time.Duration
	Excerpt    string
	Error      string
	RetryAfter time.Duration
}

// WebhookConfig are the webhooks' settings.
type WebhookConfig struct {
	// AllowHTTP accepts http:// endpoints (mock mode); otherwise https only.
	AllowHTTP bool
}

// WebhookDeps are the webhooks' collaborators; Random makes secrets
// (crypto/rand.Reader), Unit draws jitter in [0, 1).
type WebhookDeps struct {
	Store  WebhookStore
	Sender Sender
	Now    func() time.Time
	Random io.Reader
	Unit   func() float64
}

// Webhooks are the webhook use cases.
type Webhooks struct {
	cfg  WebhookConfig
	deps WebhookDeps
}

// NewWebhooks returns the webhook use cases.
func NewWebhooks(cfg WebhookConfig, deps WebhookDeps) (*Webhooks, error) {
	if deps.Store == nil || deps.Sender == nil || deps.Now == nil || deps.Random == nil || deps.Unit == nil {
		return nil, errors.New("app.NewWebhooks: Store, Sender, Now, Random and Unit are required")
	}
	return &Webhooks{cfg: cfg, deps: deps}, nil
}

// EndpointInput is the body of a create or an update.
type EndpointInput struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"event_types"`
	Enabled     *bool    `json:"enabled"`
}

func (w *Webhooks) check(in EndpointInput) error {
	var f apperr.Fields
	u, err := url.Parse(in.URL)
	switch {
	case in.URL == "" || len(in.URL) > maxURLLen || err != nil || u.Host == "" || u.User != nil:
		f.Add("url", fmt.Sprintf("must be an absolute URL of at most %d characters, without credentials", maxURLLen))
	case u.Scheme != "https" && !(w.cfg.AllowHTTP && u.Scheme == "http"):
		f.Add("url", "must be an https URL")
	}
	if len(in.Description) > maxDescription {
		f.Add("description", fmt.Sprintf("must be at most %d characters", maxDescription))
	}
	if len(in.EventTypes) == 0 || len(in.EventTypes) > maxEventTypes {
		f.Add("event_types", fmt.Sprintf("must list 1 to %d event types or wildcards (lead.*, *)", maxEventTypes))
	}
	for i, t := range in.EventTypes {
		if !domain.ValidEventFilter(t) {
			f.Add(fmt.Sprintf("event_types[%d]", i), "must be an event type (lead.created), a wildcard (lead.*) or *")
		}
	}
	return f.Err()
}

func callerOrg(ctx context.Context, perm string) (string, error) {
	p, err := auth.CallerWith(ctx, perm)
	if err != nil {
		return "", err
	}
	return p.OrgID, nil
}

// Create subscribes a new endpoint and answers its secret.
func (w *Webhooks) Create(ctx context.Context, in EndpointInput) (EndpointWithSecret, error) {
	org, err := callerOrg(ctx, PermWebhooksWrite)
	if err != nil {
		return EndpointWithSecret{}, err
	}
	if err := w.check(in); err != nil {
		return EndpointWithSecret{}, err
	}
	secret, err := standardwebhooks.NewSecret(w.deps.Random, secretBytes)
	if err != nil {
		return EndpointWithSecret{}, err
	}
	now := w.deps.Now().UTC()
	e := Endpoint{ID: uuid.Must(uuid.NewV7()).String(), OrgID: org, URL: in.URL, Description: in.Description,
		EventTypes: in.EventTypes, Enabled: in.Enabled == nil || *in.Enabled, Secret: secret, CreatedAt: now, UpdatedAt: now}
	err = w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error { return tx.CreateEndpoint(ctx, e) })
	return EndpointWithSecret{Endpoint: e, Secret: secret}, err
}

// Get answers one endpoint.
func (w *Webhooks) Get(ctx context.Context, id string) (Endpoint, error) {
	org, err := callerOrg(ctx, PermWebhooksRead)
	if err != nil {
		return Endpoint{}, err
	}
	var e Endpoint
	err = w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error {
		e, err = tx.Endpoint(ctx, id)
		return err
	})
	return e, err
}

// List answers the organisation's endpoints, newest first.
func (w *Webhooks) List(ctx context.Context, p PageRequest) (Page[Endpoint], error) {
	org, err := callerOrg(ctx, PermWebhooksRead)
	if err != nil {
		return Page[Endpoint]{}, err
	}
	var page Page[Endpoint]
	err = w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error {
		page, err = tx.ListEndpoints(ctx, p)
		return err
	})
	return page, err
}

// Update replaces an endpoint's URL, description, event types and, when
// given, whether it is enabled (enabling clears the reason it was
// disabled and its failing streak).
func (w *Webhooks) Update(ctx context.Context, id string, in EndpointInput) (Endpoint, error) {
	org, err := callerOrg(ctx, PermWebhooksWrite)
	if err != nil {
		return Endpoint{}, err
	}
	var e Endpoint
	err = w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error {
		if e, err = tx.Endpoint(ctx, id); err != nil {
			return err
		}
		if err := w.check(in); err != nil {
			return err
		}
		e.URL, e.Description, e.EventTypes, e.UpdatedAt = in.URL, in.Description, in.EventTypes, w.deps.Now().UTC()
		if in.Enabled != nil {
			if *in.Enabled && !e.Enabled {
				e.DisabledReason, e.FailingSince = "", nil
			} else if !*in.Enabled && e.Enabled {
				e.DisabledReason = "disabled by a user"
			}
			e.Enabled = *in.Enabled
		}
		return tx.UpdateEndpoint(ctx, e)
	})
	return e, err
}

// Delete removes an endpoint, its messages and its logs.
func (w *Webhooks) Delete(ctx context.Context, id string) error {
	org, err := callerOrg(ctx, PermWebhooksWrite)
	if err != nil {
		return err
	}
	return w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error { return tx.DeleteEndpoint(ctx, id) })
}

// RotateSecret gives the endpoint a new secret; the previous one goes on
// signing (a second signature) for a day, so the receiver can switch.
func (w *Webhooks) RotateSecret(ctx context.Context, id string) (EndpointWithSecret, error) {
	org, err := callerOrg(ctx, PermWebhooksWrite)
	if err != nil {
		return EndpointWithSecret{}, err
	}
	secret, err := standardwebhooks.NewSecret(w.deps.Random, secretBytes)
	if err != nil {
		return EndpointWithSecret{}, err
	}
	var e Endpoint
	err = w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error {
		if e, err = tx.Endpoint(ctx, id); err != nil {
			return err
		}
		now := w.deps.Now().UTC()
		until := now.Add(rotationOverlap)
		e.PreviousSecret, e.PreviousUntil, e.Secret, e.UpdatedAt = e.Secret, &until, secret, now
		return tx.UpdateEndpoint(ctx, e)
	})
	return EndpointWithSecret{Endpoint: e, Secret: secret}, err
}

// Logs answers an endpoint's delivery attempts, newest first.
func (w *Webhooks) Logs(ctx context.Context, id string, p PageRequest) (Page[Log], error) {
	org, err := callerOrg(ctx, PermWebhooksRead)
	if err != nil {
		return Page[Log]{}, err
	}
	var page Page[Log]
	err = w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error {
		if _, err := tx.Endpoint(ctx, id); err != nil {
			return err
		}
		page, err = tx.ListLogs(ctx, id, p)
		return err
	})
	return page, err
}

// Test sends the endpoint a webhook.test message now, once (no retries),
// and answers the attempt's log entry.
func (w *Webhooks) Test(ctx context.Context, id string) (Log, error) {
	org, err := callerOrg(ctx, PermWebhooksWrite)
	if err != nil {
		return Log{}, err
	}
	now := w.deps.Now().UTC()
	ev := Event{ID: "test_" + uuid.Must(uuid.NewV7()).String(), Type: "webhook.test", OrgID: org, Time: now,
		Data: json.RawMessage(`{"message":"a test delivery"}`)}
	var e Endpoint
	var m Message
	err = w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error {
		if e, err = tx.Endpoint(ctx, id); err != nil {
			return err
		}
		m, err = newMessage(e, ev)
		if err != nil {
			return err
		}
		_, err = tx.CreateMessage(ctx, org, m)
		return err
	})
	if err != nil {
		return Log{}, err
	}
	out := w.attempt(ctx, e, m)
	l := logOf(e, m, 1, out, w.deps.Now().UTC())
	err = w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error { return tx.AddLog(ctx, org, l) })
	return l, err
}

// Redeliver sends a logged message again from the first attempt of the
// schedule (the same webhook-id, so the receiver can tell it apart).
func (w *Webhooks) Redeliver(ctx context.Context, endpointID, messageID string) (Message, error) {
	org, err := callerOrg(ctx, PermWebhooksWrite)
	if err != nil {
		return Message{}, err
	}
	var m Message
	err = w.deps.Store.InOrg(ctx, org, func(tx WebhookTx) error {
		if _, err := tx.Endpoint(ctx, endpointID); err != nil {
			return err
		}
		if m, err = tx.Message(ctx, messageID); err != nil {
			return err
		}
		if m.EndpointID != endpointID {
			return apperr.NotFound(ReasonMessageNotFound, "no such message of this endpoint")
		}
		return tx.EnqueueDelivery(ctx, org, m.ID, w.deps.Now())
	})
	return m, err
}

// Fanout makes, in the consumer's transaction (app.org_id is the
// event's), one message and one delivery job per enabled endpoint of the
// event's organisation whose filters select its type. A redelivered event
// makes nothing new.
func (w *Webhooks) Fanout(ctx context.Context, tx WebhookTx, ev Event) error {
	if ev.OrgID == "" {
		return nil
	}
	endpoints, err := tx.EnabledEndpoints(ctx)
	if err != nil {
		return err
	}
	for _, e := range endpoints {
		if !selects(e.EventTypes, ev.Type) {
			continue
		}
		m, err := newMessage(e, ev)
		if err != nil {
			return err
		}
		fresh, err := tx.CreateMessage(ctx, ev.OrgID, m)
		if err != nil {
			return err
		}
		if fresh {
			if err := tx.EnqueueDelivery(ctx, ev.OrgID, m.ID, w.deps.Now()); err != nil {
				return err
			}
		}
	}
	return nil
}

// WebhookType is the type a domain event is sent as: its CloudEvents type
// without "reos.<context>." ("reos.crm.lead.created" → "lead.created").
func WebhookType(cloudEventsType string) string {
	rest, ok := strings.CutPrefix(cloudEventsType, "reos.")
	if !ok {
		return cloudEventsType
	}
	if _, t, ok := strings.Cut(rest, "."); ok {
		return t
	}
	return rest
}

func selects(filters []string, eventType string) bool {
	for _, f := range filters {
		if domain.MatchesEventType(f, eventType) {
			return true
		}
	}
	return false
}

// newMessage is the Standard Webhooks payload {type, timestamp, data} of
// ev for e; its id is derived from both, so it is the same however often
// the event is consumed.
func newMessage(e Endpoint, ev Event) (Message, error) {
	data := ev.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	body, err := json.Marshal(map[string]any{"type": ev.Type, "timestamp": ev.Time.UTC().Format(time.RFC3339Nano),
		"event_id": ev.ID, "subject": ev.Subject, "data": data})
	if err != nil {
		return Message{}, fmt.Errorf("webhook payload of %s: %w", ev.ID, err)
	}
	id := "msg_" + uuid.NewSHA1(uuid.MustParse(e.ID), []byte(ev.ID)).String()
	return Message{ID: id, EndpointID: e.ID, EventID: ev.ID, EventType: ev.Type, Payload: body, CreatedAt: ev.Time.UTC()}, nil
}

// Deliver makes the next attempt of a message (the delivery job's work)
// and answers when to try again (0 and false: done, delivered or given up).
func (w *Webhooks) Deliver(ctx context.Context, orgID, messageID string) (time.Duration, bool, error) {
	var e Endpoint
	var m Message
	var n int
	err := w.deps.Store.InOrg(ctx, orgID, func(tx WebhookTx) error {
		var err error
		if m, err = tx.Message(ctx, messageID); err != nil {
			return err
		}
		if e, err = tx.Endpoint(ctx, m.EndpointID); err != nil {
			return err
		}
		n, err = tx.Attempts(ctx, messageID)
		return err
	})
	if apperr.KindOf(err) == apperr.KindNotFound {
		return 0, false, nil // the endpoint or message was deleted since
	}
	if err != nil || !e.Enabled {
		return 0, false, err
	}
	out := w.attempt(ctx, e, m)
	now := w.deps.Now().UTC()
	attempt := n + 1
	var again time.Duration
	retry := false
	err = w.deps.Store.InOrg(ctx, orgID, func(tx WebhookTx) error {
		if err := tx.AddLog(ctx, orgID, logOf(e, m, attempt, out, now)); err != nil {
			return err
		}
		switch out.Verdict {
		case VerdictDelivered:
			if e.FailingSince != nil {
				e.FailingSince = nil
				return tx.UpdateEndpoint(ctx, e)
			}
			return nil
		case VerdictGone:
			return w.disable(ctx, tx, orgID, e, "the endpoint answered 410 Gone", now)
		}
		if e.FailingSince == nil {
			e.FailingSince = &now
			if err := tx.UpdateEndpoint(ctx, e); err != nil {
				return err
			}
		} else if now.Sub(*e.FailingSince) >= FailingDisableAfter {
			return w.disable(ctx, tx, orgID, e, "every attempt failed for 5 days", now)
		}
		again, retry = domain.NextDelay(attempt, w.deps.Unit(), out.RetryAfter)
		return nil
	})
	return again, retry, err
}

func (w *Webhooks) disable(ctx context.Context, tx WebhookTx, orgID string, e Endpoint, reason string, now time.Time) error {
	e.Enabled, e.DisabledReason, e.UpdatedAt = false, reason, now
	if err := tx.UpdateEndpoint(ctx, e); err != nil {
		return err
	}
	return tx.Publish(ctx, orgID, EventEndpointDisabled, "webhook_endpoint/"+e.ID,
		map[string]any{"endpoint_id": e.ID, "url": e.URL, "reason": reason})
}

func (w *Webhooks) attempt(ctx context.Context, e Endpoint, m Message) Outcome {
	keys := make([][]byte, 0, 2)
	for i, s := range []string{e.Secret, e.PreviousSecret} {
		if i == 1 && (s == "" || e.PreviousUntil == nil || !w.deps.Now().Before(*e.PreviousUntil)) {
			continue
		}
		k, err := standardwebhooks.ParseSecret(s)
		if err != nil {
			return Outcome{Verdict: VerdictRetry, Error: "the endpoint's secret is unusable"}
		}
		keys = append(keys, k)
	}
	return w.deps.Sender.Send(ctx, Attempt{URL: e.URL, ID: m.ID, At: w.deps.Now(), Body: m.Payload, Keys: keys})
}

func logOf(e Endpoint, m Message, attempt int, out Outcome, at time.Time) Log {
	l := Log{EndpointID: e.ID, MessageID: m.ID, EventType: m.EventType, Attempt: attempt, Verdict: out.Verdict,
		DurationMS: int(out.Duration / time.Millisecond), ResponseExcerpt: out.Excerpt, Error: out.Error, At: at}
	if out.Status != 0 {
		s := out.Status
		l.Status = &s
	}
	return l
}
