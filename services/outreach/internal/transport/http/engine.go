package http

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/httpx"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

// The send engine's read endpoints, the single sends and the mocks'
// record.

type attemptJSON struct {
	ID                string     `json:"id"`
	CampaignID        *string    `json:"campaign_id"`
	Step              *int       `json:"step"`
	LeadID            *string    `json:"lead_id"`
	ContactID         *string    `json:"contact_id"`
	TemplateID        *string    `json:"template_id"`
	Channel           string     `json:"channel"`
	Address           *string    `json:"address"`
	Status            string     `json:"status"`
	Reason            *string    `json:"reason"`
	Detail            *string    `json:"detail"`
	Bounce            *string    `json:"bounce"`
	Subject           *string    `json:"subject"`
	Provider          *string    `json:"provider"`
	ProviderMessageID *string    `json:"provider_message_id"`
	NotBefore         *time.Time `json:"not_before"`
	Tries             int        `json:"tries"`
	QueuedAt          time.Time  `json:"queued_at"`
	SentAt            *time.Time `json:"sent_at"`
	DeliveredAt       *time.Time `json:"delivered_at"`
	OpenedAt          *time.Time `json:"opened_at"`
	ClickedAt         *time.Time `json:"clicked_at"`
	RepliedAt         *time.Time `json:"replied_at"`
	BouncedAt         *time.Time `json:"bounced_at"`
	ComplainedAt      *time.Time `json:"complained_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

func attemptOut(a domain.Attempt) attemptJSON {
	return attemptJSON{ID: a.ID, CampaignID: a.CampaignID, Step: a.Step, LeadID: a.LeadID, ContactID: a.ContactID, TemplateID: a.TemplateID,
		Channel: string(a.Channel), Address: a.Address, Status: string(a.Status), Reason: a.Reason, Detail: a.Detail, Bounce: a.Bounce,
		Subject: a.Subject, Provider: a.Provider, ProviderMessageID: a.ProviderMessageID, NotBefore: a.NotBefore, Tries: a.Tries,
		QueuedAt: a.QueuedAt, SentAt: a.SentAt, DeliveredAt: a.DeliveredAt, OpenedAt: a.OpenedAt, ClickedAt: a.ClickedAt,
		RepliedAt: a.RepliedAt, BouncedAt: a.BouncedAt, ComplainedAt: a.ComplainedAt, UpdatedAt: a.UpdatedAt}
}

type countsJSON struct {
	Step        *int           `json:"step,omitempty"`
	Queued      int            `json:"queued"`
	Sending     int            `json:"sending"`
	Sent        int            `json:"sent"`
	Delivered   int            `json:"delivered"`
	BouncedHard int            `json:"bounced_hard"`
	BouncedSoft int            `json:"bounced_soft"`
	Complained  int            `json:"complained"`
	Opened      int            `json:"opened"`
	Clicked     int            `json:"clicked"`
	Replied     int            `json:"replied"`
	Blocked     int            `json:"blocked"`
	BlockedBy   map[string]int `json:"blocked_by_reason"`
	Deferred    int            `json:"deferred"`
	DeferredBy  map[string]int `json:"deferred_by_reason"`
	Failed      int            `json:"failed"`
	Unknown     int            `json:"unknown"`
}

func countsOut(c app.StepCounts, step bool) countsJSON {
	j := countsJSON{Queued: c.Queued, Sending: c.Sending, Sent: c.Sent, Delivered: c.Delivered, BouncedHard: c.BouncedHard,
		BouncedSoft: c.BouncedSoft, Complained: c.Complained, Opened: c.Opened, Clicked: c.Clicked, Replied: c.Replied,
		Blocked: c.Blocked, BlockedBy: c.BlockedBy, Deferred: c.Deferred, DeferredBy: c.DeferredBy, Failed: c.Failed, Unknown: c.Unknown}
	if step {
		n := c.Step
		j.Step = &n
	}
	return j
}

type progressJSON struct {
	Total   int     `json:"total"`
	Active  int     `json:"active"`
	Done    int     `json:"done"`
	Stopped int     `json:"stopped"`
	Percent float64 `json:"percent"`
}

type metricsJSON struct {
	CampaignID   string       `json:"campaign_id"`
	Status       string       `json:"status"`
	PauseReason  *string      `json:"pause_reason"`
	Progress     progressJSON `json:"progress"`
	Totals       countsJSON   `json:"totals"`
	Steps        []countsJSON `json:"steps"`
	Unsubscribed int          `json:"unsubscribed"`
}

func metricsOut(m app.CampaignMetrics) metricsJSON {
	p := m.Progress
	total := p.Active + p.Done + p.Stopped
	pj := progressJSON{Total: total, Active: p.Active, Done: p.Done, Stopped: p.Stopped}
	if total > 0 {
		pj.Percent = float64(int(float64(p.Done+p.Stopped)/float64(total)*10000)) / 100
	}
	steps := make([]countsJSON, 0, len(m.Steps))
	for _, s := range m.Steps {
		steps = append(steps, countsOut(s, true))
	}
	return metricsJSON{CampaignID: m.Campaign.ID, Status: string(m.Campaign.Status), PauseReason: m.Campaign.PauseReason, Progress: pj,
		Totals: countsOut(m.Totals, false), Steps: steps, Unsubscribed: m.Unsubscribed}
}

type deliverabilityJSON struct {
	Items []deliverabilityRowJSON `json:"items"`
}

type deliverabilityRowJSON struct {
	Domain   string         `json:"domain"`
	Provider string         `json:"provider"`
	Sent     int            `json:"sent"`
	Events   map[string]int `json:"events"`
}

func deliverabilityOut(rows []app.DeliverabilityRow) deliverabilityJSON {
	out := deliverabilityJSON{Items: make([]deliverabilityRowJSON, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, deliverabilityRowJSON{Domain: r.Domain, Provider: r.Provider, Sent: r.Sent, Events: r.ByType})
	}
	return out
}

func (h *handlers) campaignMetrics() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (metricsJSON, error) {
		m, err := h.svc.CampaignMetrics(ctx, id)
		return metricsOut(m), err
	}, http.StatusOK)
}

func (h *handlers) campaignDeliverability() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (deliverabilityJSON, error) {
		rows, err := h.svc.CampaignDeliverability(ctx, id)
		return deliverabilityOut(rows), err
	}, http.StatusOK)
}

func (h *handlers) deliverability() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeNothing, func(ctx context.Context, _ struct{}) (deliverabilityJSON, error) {
		rows, err := h.svc.Deliverability(ctx)
		return deliverabilityOut(rows), err
	}, http.StatusOK)
}

// decodeAttemptQuery reads an attempt list's filters: status (repeatable,
// the statuses), channel, lead_id, and the page.
func decodeAttemptQuery(ctx context.Context, r *http.Request) (app.AttemptQuery, error) {
	p, err := decodePage(ctx, r)
	if err != nil {
		return app.AttemptQuery{}, err
	}
	v := r.URL.Query()
	q := app.AttemptQuery{Page: p, CampaignID: pathID(r)}
	for _, st := range v["status"] {
		for _, s := range strings.Split(st, ",") {
			if !slices.Contains(domain.AttemptStatuses(), domain.AttemptStatus(s)) {
				return q, apperr.BadRequest("status", "must be one of queued, sending, sent, delivered, bounced, complained, blocked, deferred, failed, unknown")
			}
			q.Statuses = append(q.Statuses, domain.AttemptStatus(s))
		}
	}
	if ch := v.Get("channel"); ch != "" {
		c, ok := domain.Channel(ch)
		if !ok {
			return q, apperr.BadRequest("channel", `must be "email" or "sms"`)
		}
		q.Channel = c
	}
	if l := v.Get("lead_id"); l != "" {
		if !domain.ValidID(l) {
			return q, apperr.BadRequest("lead_id", "must be a lead id (UUID)")
		}
		q.LeadID = l
	}
	return q, nil
}

func (h *handlers) listAttempts() http.Handler {
	return httpx.Endpoint(h.log, decodeAttemptQuery, func(ctx context.Context, q app.AttemptQuery) (httpx.List[attemptJSON], error) {
		p, err := h.svc.ListAttempts(ctx, q)
		return listOut(p, attemptOut), err
	}, http.StatusOK)
}

func (h *handlers) getAttempt() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (attemptJSON, error) {
		a, err := h.svc.GetAttempt(ctx, id)
		return attemptOut(a), err
	}, http.StatusOK)
}

type sendRequest struct {
	LeadID     string  `json:"lead_id"`
	TemplateID string  `json:"template_id"`
	CampaignID *string `json:"campaign_id"`
	Step       *int    `json:"step"`
}

type sendCall struct {
	body sendRequest
	key  string
}

func decodeSend(_ context.Context, r *http.Request) (sendCall, error) {
	var c sendCall
	c.key = r.Header.Get("Idempotency-Key")
	return c, httpx.DecodeJSON(r, &c.body)
}

func (h *handlers) send(ch compliance.Channel) http.Handler {
	return httpx.Endpoint(h.log, decodeSend, func(ctx context.Context, c sendCall) (attemptJSON, error) {
		a, err := h.svc.Send(ctx, ch, app.SendInput{LeadID: c.body.LeadID, TemplateID: c.body.TemplateID, CampaignID: c.body.CampaignID,
			Step: c.body.Step, IdempotencyKey: c.key})
		return attemptOut(a), err
	}, http.StatusOK)
}

// mockMessageJSON is one message a mock provider answered.
type mockMessageJSON struct {
	Channel   string    `json:"channel"`
	Key       string    `json:"key"`
	To        string    `json:"to"`
	From      string    `json:"from"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	Behaviour string    `json:"behaviour"`
	Accepted  bool      `json:"accepted"`
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"`
}

type mockMessagesJSON struct {
	Items      []mockMessageJSON `json:"items"`
	Duplicates int               `json:"duplicates"`
}

// mockMessages is the mocks' record (MODE=mock only: without a mock the
// route is 404): every answer, in order, and the repeated keys.
func (h *handlers) mockMessages() http.Handler {
	return httpx.Endpoint(h.log, func(_ context.Context, r *http.Request) (string, error) {
		ch := r.URL.Query().Get("channel")
		if ch != "" && ch != "email" && ch != "sms" {
			return "", apperr.BadRequest("channel", `must be "email" or "sms"`)
		}
		return ch, nil
	}, func(ctx context.Context, ch string) (mockMessagesJSON, error) {
		if _, err := auth.CallerWith(ctx, app.PermAdmin); err != nil {
			return mockMessagesJSON{}, err
		}
		if h.mockEmail == nil && h.mockSMS == nil {
			return mockMessagesJSON{}, apperr.NotFound("no_mock_provider", "no mock provider is in use (MODE=mock only)")
		}
		out := mockMessagesJSON{Items: []mockMessageJSON{}}
		if h.mockEmail != nil && ch != "sms" {
			for _, a := range h.mockEmail.Attempts() {
				out.Items = append(out.Items, mockMessageJSON{Channel: "email", Key: a.Message.Key, To: a.Message.To, From: a.Message.From,
					Subject: a.Message.Subject, Body: a.Message.Text, Behaviour: string(a.Behaviour), Accepted: a.Err == nil, Error: errText(a.Err), At: a.At})
			}
			out.Duplicates += h.mockEmail.Duplicates()
		}
		if h.mockSMS != nil && ch != "email" {
			for _, a := range h.mockSMS.Attempts() {
				out.Items = append(out.Items, mockMessageJSON{Channel: "sms", Key: a.Message.Key, To: a.Message.To, From: a.Message.From,
					Body: a.Message.Body, Behaviour: string(a.Behaviour), Accepted: a.Err == nil, Error: errText(a.Err), At: a.At})
			}
			out.Duplicates += h.mockSMS.Duplicates()
		}
		return out, nil
	}, http.StatusOK)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
