package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
	"reos.dev/services/outreach/internal/domain/compliance"
)

// CampaignStatus is where a campaign is in its life.
type CampaignStatus string

// The statuses. This slice moves campaigns between draft, scheduled and
// cancelled; the send engine launches, pauses, resumes, completes and
// holds missed ones.
const (
	StatusDraft     CampaignStatus = "draft"
	StatusScheduled CampaignStatus = "scheduled"
	// StatusMissed: the scheduled start was missed by more than the grace
	// period (downtime); held for a person to launch, never fired late.
	StatusMissed    CampaignStatus = "missed"
	StatusRunning   CampaignStatus = "running"
	StatusPaused    CampaignStatus = "paused"
	StatusCompleted CampaignStatus = "completed"
	StatusCancelled CampaignStatus = "cancelled"
)

// Statuses lists every status (the search filter's whitelist).
func Statuses() []CampaignStatus {
	return []CampaignStatus{StatusDraft, StatusScheduled, StatusMissed, StatusRunning, StatusPaused, StatusCompleted, StatusCancelled}
}

// Audience kinds: who a campaign goes to before launch.
const (
	AudienceNone   = "none"
	AudienceLeads  = "leads"
	AudienceFilter = "filter"
)

// Campaign limits.
const (
	MaxNameLen         = 200
	MaxSteps           = 50
	MaxStepDelay       = 365 * 24 * time.Hour
	DefaultGracePeriod = time.Hour
	MinGracePeriod     = time.Minute
	MaxGracePeriod     = 7 * 24 * time.Hour
	// MaxExplicitLeads bounds one POST /campaigns/{id}/targets; larger
	// audiences are a filter.
	MaxExplicitLeads = 10000
)

// Step is one message of a campaign's sequence: on a channel, with a
// template of that channel, sent Delay after the previous step (after the
// launch for step 1) or at SendAt; a target that replies (StopOnReply) or
// whose lead changes stage (StopOnStageChange) gets no later step.
type Step struct {
	Step              int
	Channel           compliance.Channel
	TemplateID        string
	Delay             *time.Duration
	SendAt            *time.Time
	StopOnReply       bool
	StopOnStageChange bool
}

// Campaign is a campaign with its sequence.
type Campaign struct {
	ID          string
	OrgID       string
	Name        string
	Status      CampaignStatus
	ScheduledAt *time.Time
	GracePeriod time.Duration
	// PauseReason is set while paused: "manual" or the guard's reason.
	PauseReason *string
	// Audience is AudienceNone, AudienceLeads or AudienceFilter (Filter).
	Audience    string
	Filter      *LeadFilter
	Steps       []Step
	CreatedBy   *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LaunchedAt  *time.Time
	CompletedAt *time.Time
	CancelledAt *time.Time
	// NextWakeAt is when a running campaign whose step chain ended has
	// work again (nil while a step job is on its way, or nothing is left).
	NextWakeAt *time.Time
	// TargetCount is how many targets were frozen at start.
	TargetCount int
}

// StepInput is a step as a client writes it.
type StepInput struct {
	Channel           string
	TemplateID        string
	DelaySeconds      *int
	SendAt            *time.Time
	StopOnReply       *bool
	StopOnStageChange *bool
}

// CampaignInput is what a client sets on a campaign (create and PUT: PUT
// replaces every field, the steps included).
type CampaignInput struct {
	Name               string
	ScheduledAt        *time.Time
	GracePeriodSeconds *int
	Steps              []StepInput
}

// NewCampaign validates in and returns a new campaign: scheduled when it
// names a start, a draft otherwise.
func NewCampaign(id, orgID string, createdBy *string, in CampaignInput, now time.Time) (Campaign, error) {
	c := Campaign{ID: id, OrgID: orgID, Status: StatusDraft, Audience: AudienceNone, CreatedBy: createdBy, CreatedAt: now}
	if err := c.apply(in, now); err != nil {
		return Campaign{}, err
	}
	return c, nil
}

// Editable reports whether the campaign's settings and steps may still
// change: not once it has been launched.
func (c Campaign) Editable() bool {
	switch c.Status {
	case StatusDraft, StatusScheduled, StatusMissed:
		return true
	}
	return false
}

// Replace applies a PUT: every field of in replaces the campaign's. A
// launched or finished campaign is a conflict.
func (c *Campaign) Replace(in CampaignInput, now time.Time) error {
	if !c.Editable() {
		return apperr.Conflict(ReasonCampaignNotEditable, "a "+string(c.Status)+" campaign can no longer be edited")
	}
	return c.apply(in, now)
}

// SetAudience records who the campaign goes to (explicit leads, or a
// filter); only before launch, as the targets are frozen then.
func (c *Campaign) SetAudience(kind string, f *LeadFilter, now time.Time) error {
	if !c.Editable() {
		return apperr.Conflict(ReasonCampaignNotEditable, "a "+string(c.Status)+" campaign's targets are frozen")
	}
	c.Audience, c.Filter, c.UpdatedAt = kind, f, now
	return nil
}

// Cancel ends the campaign for good (DELETE): from any state but
// completed and cancelled, which are a conflict.
func (c *Campaign) Cancel(now time.Time) error {
	switch c.Status {
	case StatusCompleted, StatusCancelled:
		return apperr.Conflict(ReasonCampaignFinished, "the campaign is already "+string(c.Status))
	}
	c.Status, c.PauseReason, c.CancelledAt, c.UpdatedAt = StatusCancelled, nil, &now, now
	return nil
}

func (c *Campaign) apply(in CampaignInput, now time.Time) error {
	var f FieldErrors
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		f.Add("name", "is required")
	case utf8.RuneCountInString(name) > MaxNameLen || hasControl(name):
		f.Add("name", fmt.Sprintf("must be at most %d characters, without control characters", MaxNameLen))
	}
	grace := DefaultGracePeriod
	if in.GracePeriodSeconds != nil {
		grace = time.Duration(*in.GracePeriodSeconds) * time.Second
		if grace < MinGracePeriod || grace > MaxGracePeriod {
			f.Add("grace_period_seconds", fmt.Sprintf("must be from %d to %d", int(MinGracePeriod.Seconds()), int(MaxGracePeriod.Seconds())))
		}
	}
	if in.ScheduledAt != nil && !in.ScheduledAt.After(now) {
		f.Add("scheduled_at", "must be in the future")
	}
	steps := parseSteps(in.Steps, in.ScheduledAt, now, &f)
	if err := f.Err(); err != nil {
		return err
	}
	c.Name, c.GracePeriod, c.Steps, c.UpdatedAt = name, grace, steps, now
	c.ScheduledAt = nil
	c.Status = StatusDraft
	if in.ScheduledAt != nil {
		at := in.ScheduledAt.UTC()
		c.ScheduledAt, c.Status = &at, StatusScheduled
	}
	return nil
}

// parseSteps validates the sequence: at most MaxSteps, each on a channel
// with a template and exactly one of a delay or an absolute time, the
// absolute times in the future, after the scheduled start and in order.
func parseSteps(in []StepInput, start *time.Time, now time.Time, f *FieldErrors) []Step {
	if len(in) > MaxSteps {
		f.Add("steps", fmt.Sprintf("must hold at most %d steps", MaxSteps))
		return nil
	}
	steps := make([]Step, 0, len(in))
	var last *time.Time
	for i, s := range in {
		field := "steps[" + strconv.Itoa(i) + "]"
		st := Step{Step: i + 1, TemplateID: s.TemplateID, StopOnReply: true}
		ch, ok := Channel(s.Channel)
		if !ok {
			f.Add(field+".channel", `must be "email" or "sms"`)
		}
		st.Channel = ch
		if !ValidID(s.TemplateID) {
			f.Add(field+".template_id", "must be the id of a template of the step's channel")
		}
		switch {
		case (s.DelaySeconds == nil) == (s.SendAt == nil):
			f.Add(field, "needs exactly one of delay_seconds and send_at")
		case s.DelaySeconds != nil:
			d := time.Duration(*s.DelaySeconds) * time.Second
			if *s.DelaySeconds < 0 || d > MaxStepDelay {
				f.Add(field+".delay_seconds", fmt.Sprintf("must be from 0 to %d", int(MaxStepDelay.Seconds())))
			}
			st.Delay = &d
		default:
			at := s.SendAt.UTC()
			switch {
			case !at.After(now):
				f.Add(field+".send_at", "must be in the future")
			case start != nil && at.Before(*start):
				f.Add(field+".send_at", "must not be before the campaign's scheduled_at")
			case last != nil && !at.After(*last):
				f.Add(field+".send_at", "must be after the previous step's send_at")
			}
			st.SendAt, last = &at, &at
		}
		if s.StopOnReply != nil {
			st.StopOnReply = *s.StopOnReply
		}
		if s.StopOnStageChange != nil {
			st.StopOnStageChange = *s.StopOnStageChange
		}
		steps = append(steps, st)
	}
	return steps
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
