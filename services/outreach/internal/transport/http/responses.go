package http

import (
	"time"

	"reos.dev/pkg/httpx"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/template"
)

func listOut[T, J any](p app.Page[T], f func(T) J) httpx.List[J] {
	items := make([]J, 0, len(p.Items))
	for _, it := range p.Items {
		items = append(items, f(it))
	}
	return httpx.NewList(items, p.Next)
}

type settingsJSON struct {
	SenderName    string     `json:"sender_name"`
	SenderEmail   *string    `json:"sender_email"`
	ReplyTo       *string    `json:"reply_to"`
	SMSFrom       *string    `json:"sms_from"`
	PostalAddress *string    `json:"postal_address"`
	HelpText      *string    `json:"help_text"`
	TimeZone      string     `json:"time_zone"`
	UpdatedAt     *time.Time `json:"updated_at"`
	UpdatedBy     *string    `json:"updated_by"`
}

func settingsOut(s domain.Settings) settingsJSON {
	return settingsJSON{SenderName: s.SenderName, SenderEmail: s.SenderEmail, ReplyTo: s.ReplyTo, SMSFrom: s.SMSFrom,
		PostalAddress: s.PostalAddress, HelpText: s.HelpText, TimeZone: s.TimeZone, UpdatedAt: s.UpdatedAt, UpdatedBy: s.UpdatedBy}
}

type stepJSON struct {
	Step              int        `json:"step"`
	Channel           string     `json:"channel"`
	TemplateID        string     `json:"template_id"`
	DelaySeconds      *int       `json:"delay_seconds"`
	SendAt            *time.Time `json:"send_at"`
	StopOnReply       bool       `json:"stop_on_reply"`
	StopOnStageChange bool       `json:"stop_on_stage_change"`
}

type campaignJSON struct {
	ID                 string             `json:"id"`
	Name               string             `json:"name"`
	Status             string             `json:"status"`
	ScheduledAt        *time.Time         `json:"scheduled_at"`
	GracePeriodSeconds int                `json:"grace_period_seconds"`
	PauseReason        *string            `json:"pause_reason"`
	Audience           string             `json:"audience"`
	Filter             *domain.LeadFilter `json:"filter"`
	Steps              []stepJSON         `json:"steps"`
	CreatedBy          *string            `json:"created_by"`
	CreatedAt          time.Time          `json:"created_at"`
	UpdatedAt          time.Time          `json:"updated_at"`
	LaunchedAt         *time.Time         `json:"launched_at"`
	CompletedAt        *time.Time         `json:"completed_at"`
	CancelledAt        *time.Time         `json:"cancelled_at"`
	// Targets is how many targets were frozen when it started (0 before).
	Targets int `json:"targets"`
}

func campaignOut(c domain.Campaign) campaignJSON {
	steps := make([]stepJSON, 0, len(c.Steps))
	for _, s := range c.Steps {
		j := stepJSON{Step: s.Step, Channel: string(s.Channel), TemplateID: s.TemplateID, SendAt: s.SendAt,
			StopOnReply: s.StopOnReply, StopOnStageChange: s.StopOnStageChange}
		if s.Delay != nil {
			d := int(s.Delay.Seconds())
			j.DelaySeconds = &d
		}
		steps = append(steps, j)
	}
	return campaignJSON{ID: c.ID, Name: c.Name, Status: string(c.Status), ScheduledAt: c.ScheduledAt,
		GracePeriodSeconds: int(c.GracePeriod.Seconds()), PauseReason: c.PauseReason, Audience: c.Audience, Filter: c.Filter,
		Steps: steps, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, LaunchedAt: c.LaunchedAt,
		CompletedAt: c.CompletedAt, CancelledAt: c.CancelledAt, Targets: c.TargetCount}
}

type targetsJSON struct {
	Audience string             `json:"audience"`
	Filter   *domain.LeadFilter `json:"filter"`
	// Leads is how many leads the audience names now (a filter is
	// evaluated again, and its matches frozen, at launch).
	Leads int `json:"leads"`
}

type emailTemplateJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Subject   string    `json:"subject"`
	HTML      string    `json:"html"`
	Text      *string   `json:"text"`
	CreatedBy *string   `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func emailTemplateOut(t domain.EmailTemplate) emailTemplateJSON {
	return emailTemplateJSON{ID: t.ID, Name: t.Name, Subject: t.Subject, HTML: t.HTML, Text: t.Text, CreatedBy: t.CreatedBy,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

type smsTemplateJSON struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Body      string            `json:"body"`
	Segments  template.Segments `json:"segments"`
	CreatedBy *string           `json:"created_by"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// smsTemplateOut shows the segments of the body as written (merge fields
// unexpanded); a preview shows a rendered message's.
func smsTemplateOut(t domain.SMSTemplate) smsTemplateJSON {
	return smsTemplateJSON{ID: t.ID, Name: t.Name, Body: t.Body, Segments: template.Count(t.Body), CreatedBy: t.CreatedBy,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

type emailPreviewJSON struct {
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text"`
}

type smsPreviewJSON struct {
	Body     string            `json:"body"`
	Segments template.Segments `json:"segments"`
}

type dncJSON struct {
	Phone     string    `json:"phone"`
	Reason    *string   `json:"reason"`
	AddedBy   *string   `json:"added_by"`
	CreatedAt time.Time `json:"created_at"`
}

func dncOut(e domain.DNCEntry) dncJSON {
	return dncJSON{Phone: e.Phone, Reason: e.Reason, AddedBy: e.AddedBy, CreatedAt: e.CreatedAt}
}

// dncAdded is dnc-add's answer: 201 when the number was added, 200 when it
// was listed already (the entry as it was).
type dncAdded struct {
	dncJSON
	created bool
}

func (d dncAdded) StatusCode() int {
	if d.created {
		return 201
	}
	return 200
}

type consentJSON struct {
	ID         string    `json:"id"`
	Channel    string    `json:"channel"`
	Address    string    `json:"address"`
	ContactID  *string   `json:"contact_id"`
	LeadID     *string   `json:"lead_id"`
	Action     string    `json:"action"`
	Source     string    `json:"source"`
	Proof      *string   `json:"proof"`
	ActorID    *string   `json:"actor_id"`
	OccurredAt time.Time `json:"occurred_at"`
	RecordedAt time.Time `json:"recorded_at"`
}

func consentOut(e domain.ConsentEntry) consentJSON {
	return consentJSON{ID: e.ID, Channel: string(e.Channel), Address: e.Address, ContactID: e.ContactID, LeadID: e.LeadID,
		Action: e.Action, Source: e.Source, Proof: e.Proof, ActorID: e.ActorID, OccurredAt: e.OccurredAt, RecordedAt: e.RecordedAt}
}

type unsubscribedJSON struct {
	Unsubscribed bool   `json:"unsubscribed"`
	Channel      string `json:"channel"`
	// Already is true when the address was unsubscribed before.
	Already bool `json:"already"`
}
