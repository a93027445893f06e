package domain

import (
	"strconv"
	"time"

	"reos.dev/pkg/apperr"
)

// Reasons of the send engine's refusals.
const (
	ReasonCampaignNotLaunchable = "campaign_not_launchable"
	ReasonCampaignNotRunning    = "campaign_not_running"
	ReasonCampaignNotPaused     = "campaign_not_paused"
	ReasonAttemptNotFound       = "attempt_not_found"
)

// Why a campaign is paused (campaigns.pause_reason).
const (
	PauseManual         = "manual"
	PauseComplaintRate  = "complaint_rate"
	PauseHardBounceRate = "hard_bounce_rate"
)

// Launch starts the campaign now, or schedules it for startAt when that is
// in the future (a scheduled campaign launched without one starts now: the
// person pressing launch means it). It returns true when the campaign
// starts now. A draft,
// scheduled or missed campaign may launch (missed: the person launching it
// is the decision the hold waited for); a running or paused one is a
// conflict (a paused one is resumed), as a finished one is. A campaign
// launches with at least one step and an audience.
func (c *Campaign) Launch(now time.Time, startAt *time.Time) (bool, error) {
	switch c.Status {
	case StatusDraft, StatusScheduled, StatusMissed:
	case StatusPaused:
		return false, apperr.Conflict(ReasonCampaignNotLaunchable, "the campaign is paused: resume it (POST /campaigns/{id}/resume)")
	case StatusCompleted, StatusCancelled:
		return false, apperr.Conflict(ReasonCampaignFinished, "the campaign is already "+string(c.Status))
	default:
		return false, apperr.Conflict(ReasonCampaignNotLaunchable, "the campaign is already "+string(c.Status))
	}
	var f FieldErrors
	if len(c.Steps) == 0 {
		f.Add("steps", "a campaign needs at least one step to launch")
	}
	if c.Audience == AudienceNone {
		f.Add("audience", "choose the campaign's targets first (POST /campaigns/{id}/targets)")
	}
	if startAt != nil {
		at := startAt.UTC()
		startAt = &at
		for i, st := range c.Steps {
			if st.SendAt != nil && st.SendAt.Before(at) {
				f.Add("start_at", "must not be after step "+strconv.Itoa(i+1)+"'s send_at")
				break
			}
		}
	}
	if err := f.Err(); err != nil {
		return false, err
	}
	c.UpdatedAt = now
	if startAt != nil && startAt.After(now) {
		c.Status, c.ScheduledAt = StatusScheduled, startAt
		return false, nil
	}
	c.Status, c.LaunchedAt = StatusRunning, &now
	return true, nil
}

// StartScheduled is the scheduler's start of a scheduled campaign whose
// time has come: running when the start was missed by at most the grace
// period, otherwise missed (held for a person to launch; never fired
// late). It returns true when the campaign starts.
func (c *Campaign) StartScheduled(now time.Time) bool {
	if c.Status != StatusScheduled || c.ScheduledAt == nil || c.ScheduledAt.After(now) {
		return false
	}
	c.UpdatedAt = now
	if now.Sub(*c.ScheduledAt) > c.GracePeriod {
		c.Status = StatusMissed
		return false
	}
	c.Status, c.LaunchedAt = StatusRunning, &now
	return true
}

// Pause stops a running campaign before its next message (reason: manual
// or a guard's); anything else is a conflict.
func (c *Campaign) Pause(reason string, now time.Time) error {
	if c.Status != StatusRunning {
		return apperr.Conflict(ReasonCampaignNotRunning, "only a running campaign can be paused; it is "+string(c.Status))
	}
	c.Status, c.PauseReason, c.UpdatedAt = StatusPaused, &reason, now
	return nil
}

// Resume runs a paused campaign again from where it stopped.
func (c *Campaign) Resume(now time.Time) error {
	if c.Status != StatusPaused {
		return apperr.Conflict(ReasonCampaignNotPaused, "only a paused campaign can be resumed; it is "+string(c.Status))
	}
	c.Status, c.PauseReason, c.UpdatedAt = StatusRunning, nil, now
	return nil
}

// Complete marks a running campaign completed (every target of every step
// has a final state; the engine checks).
func (c *Campaign) Complete(now time.Time) bool {
	if c.Status != StatusRunning {
		return false
	}
	c.Status, c.CompletedAt, c.UpdatedAt = StatusCompleted, &now, now
	return true
}

// FirstDue is when a target frozen at start is due for step 1: its
// absolute time, or its delay after the start.
func (c Campaign) FirstDue(start time.Time) time.Time {
	return c.Steps[0].DueAfter(start)
}

// DueAfter is when the step is due for a target whose previous step went
// out at prev (the start for step 1): its absolute time, or prev + delay.
func (s Step) DueAfter(prev time.Time) time.Time {
	if s.SendAt != nil {
		return *s.SendAt
	}
	if s.Delay != nil {
		return prev.Add(*s.Delay)
	}
	return prev
}
