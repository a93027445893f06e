package http

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/datetime"
	"reos.dev/pkg/httpx"
	pgstore "reos.dev/services/outreach/internal/adapters/postgres"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
)

type withID[T any] struct {
	ID   string
	Body T
}

func pathID(r *http.Request) string { return mux.Vars(r)["id"] }

func decodeID(_ context.Context, r *http.Request) (string, error) { return pathID(r), nil }

// decodeIDBody reads the path id and the JSON body.
func decodeIDBody[T any]() func(context.Context, *http.Request) (withID[T], error) {
	return func(_ context.Context, r *http.Request) (withID[T], error) {
		v := withID[T]{ID: pathID(r)}
		return v, httpx.DecodeJSON(r, &v.Body)
	}
}

func decodePage(_ context.Context, r *http.Request) (app.PageRequest, error) {
	p, err := httpx.ParsePage(r)
	return app.PageRequest{Limit: p.Limit, Cursor: p.Cursor}, err
}

type settingsRequest struct {
	SenderName    string  `json:"sender_name"`
	SenderEmail   *string `json:"sender_email"`
	ReplyTo       *string `json:"reply_to"`
	SMSFrom       *string `json:"sms_from"`
	PostalAddress *string `json:"postal_address"`
	HelpText      *string `json:"help_text"`
	TimeZone      string  `json:"time_zone"`
}

type stepRequest struct {
	Channel           string         `json:"channel"`
	TemplateID        string         `json:"template_id"`
	DelaySeconds      *int           `json:"delay_seconds"`
	SendAt            *datetime.Time `json:"send_at"`
	StopOnReply       *bool          `json:"stop_on_reply"`
	StopOnStageChange *bool          `json:"stop_on_stage_change"`
}

type campaignRequest struct {
	Name               string         `json:"name"`
	ScheduledAt        *datetime.Time `json:"scheduled_at"`
	GracePeriodSeconds *int           `json:"grace_period_seconds"`
	Steps              []stepRequest  `json:"steps"`
}

func (c campaignRequest) input() domain.CampaignInput {
	in := domain.CampaignInput{Name: c.Name, GracePeriodSeconds: c.GracePeriodSeconds, ScheduledAt: timePtr(c.ScheduledAt)}
	for _, s := range c.Steps {
		in.Steps = append(in.Steps, domain.StepInput{Channel: s.Channel, TemplateID: s.TemplateID, DelaySeconds: s.DelaySeconds,
			SendAt: timePtr(s.SendAt), StopOnReply: s.StopOnReply, StopOnStageChange: s.StopOnStageChange})
	}
	return in
}

func timePtr(t *datetime.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time()
	return &v
}

type targetsRequest struct {
	LeadIDs []string           `json:"lead_ids"`
	Filter  *domain.LeadFilter `json:"filter"`
}

// searchCampaignsRequest is POST /search/campaigns: the list's filters in
// a body.
type searchCampaignsRequest struct {
	Statuses []string `json:"statuses"`
	Name     string   `json:"name"`
	Sort     string   `json:"sort"`
	Limit    *int     `json:"limit"`
	Cursor   string   `json:"cursor"`
}

// campaignQuery checks the filters shared by the list and the search;
// bad values name their field (a query parameter's is a 400, a body's a
// 422: bad makes the error).
func campaignQuery(statuses []string, name, sort string, bad func(field, msg string) error) (app.CampaignQuery, error) {
	var q app.CampaignQuery
	for _, s := range statuses {
		st := domain.CampaignStatus(s)
		if !slices.Contains(domain.Statuses(), st) {
			return q, bad("status", "must be one of draft, scheduled, missed, running, paused, completed, cancelled")
		}
		q.Statuses = append(q.Statuses, st)
	}
	if len(name) > domain.MaxNameLen {
		return q, bad("name", "must be at most 200 characters")
	}
	q.Name = name
	if sort != "" {
		q.Sort.Field, q.Sort.Desc = strings.CutPrefix(sort, "-")
		if !slices.Contains(pgstore.CampaignSortFields(), q.Sort.Field) {
			return q, bad("sort", "must be one of created_at, updated_at, name, each optionally prefixed with -")
		}
	}
	return q, nil
}

func decodeListCampaigns(ctx context.Context, r *http.Request) (app.CampaignQuery, error) {
	p, err := decodePage(ctx, r)
	if err != nil {
		return app.CampaignQuery{}, err
	}
	v := r.URL.Query()
	q, err := campaignQuery(v["status"], v.Get("q"), v.Get("sort"), func(field, msg string) error {
		if field == "name" {
			field = "q"
		}
		return apperr.BadRequest(field, msg)
	})
	q.Page = p
	return q, err
}

func decodeSearchCampaigns(_ context.Context, r *http.Request) (app.CampaignQuery, error) {
	var b searchCampaignsRequest
	if err := httpx.DecodeJSON(r, &b); err != nil {
		return app.CampaignQuery{}, err
	}
	q, err := campaignQuery(b.Statuses, b.Name, b.Sort, func(field, msg string) error {
		if field == "status" {
			field = "statuses"
		}
		return apperr.Invalid(field, msg)
	})
	if err != nil {
		return q, err
	}
	if b.Limit != nil && (*b.Limit < 1 || *b.Limit > httpx.MaxLimit) {
		return q, apperr.Invalid("limit", "must be from 1 to 200")
	}
	if b.Limit != nil {
		q.Page.Limit = *b.Limit
	}
	q.Page.Cursor = b.Cursor
	return q, nil
}

type emailTemplateRequest struct {
	Name    string  `json:"name"`
	Subject string  `json:"subject"`
	HTML    string  `json:"html"`
	Text    *string `json:"text"`
}

type smsTemplateRequest struct {
	Name string `json:"name"`
	Body string `json:"body"`
}

type previewRequest struct {
	LeadID *string `json:"lead_id"`
}

// decodePreview reads a preview's path id and its optional body: none
// (no Content-Type, no bytes) previews with the sample data.
func decodePreview(ctx context.Context, r *http.Request) (withID[previewRequest], error) {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return withID[previewRequest]{ID: pathID(r)}, nil
	}
	return decodeIDBody[previewRequest]()(ctx, r)
}

type dncAddRequest struct {
	Phone  string  `json:"phone"`
	Reason *string `json:"reason"`
}

type consentRequest struct {
	Channel    string         `json:"channel"`
	Address    *string        `json:"address"`
	ContactID  *string        `json:"contact_id"`
	LeadID     *string        `json:"lead_id"`
	Action     string         `json:"action"`
	Source     string         `json:"source"`
	Proof      *string        `json:"proof"`
	OccurredAt *datetime.Time `json:"occurred_at"`
}

func decodeDNCRemove(_ context.Context, r *http.Request) (string, error) {
	phone := r.URL.Query().Get("phone")
	if phone == "" {
		return "", apperr.BadRequest("phone", "is required: the number to take off the list, E.164 (+14155550100)")
	}
	return phone, nil
}

func decodeConsentQuery(ctx context.Context, r *http.Request) (app.ConsentQuery, error) {
	p, err := decodePage(ctx, r)
	if err != nil {
		return app.ConsentQuery{}, err
	}
	v := r.URL.Query()
	q := app.ConsentQuery{Page: p}
	if s := v.Get("channel"); s != "" {
		ch, ok := domain.Channel(s)
		if !ok {
			return q, apperr.BadRequest("channel", `must be "email" or "sms"`)
		}
		q.Channel = ch
	}
	if s := v.Get("address"); s != "" {
		if q.Channel == "" {
			return q, apperr.BadRequest("address", "needs channel")
		}
		a, msg, ok := domain.Address(q.Channel, s)
		if !ok {
			return q, apperr.BadRequest("address", msg)
		}
		q.Address = a
	}
	if s := v.Get("contact_id"); s != "" {
		if !domain.ValidID(s) {
			return q, apperr.BadRequest("contact_id", "must be a UUID")
		}
		q.ContactID = s
	}
	return q, nil
}

// launchRequest is POST /campaigns/{id}/launch's optional body.
type launchRequest struct {
	StartAt *datetime.Time `json:"start_at"`
}

// decodeLaunch reads the path id and the optional body: a launch "now"
// may send none at all.
func decodeLaunch(_ context.Context, r *http.Request) (withID[launchRequest], error) {
	v := withID[launchRequest]{ID: pathID(r)}
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return v, nil
	}
	return v, httpx.DecodeJSON(r, &v.Body)
}
