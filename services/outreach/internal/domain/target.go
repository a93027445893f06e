package domain

import "time"

// Target states (campaign_targets.state).
const (
	TargetActive  = "active"
	TargetStopped = "stopped"
	TargetDone    = "done"
)

// Why a target gets no further step.
const (
	StopReplied      = "replied"
	StopStageChanged = "stage_changed"
	StopLeadArchived = "lead_archived"
)

// Target is a lead frozen into a running campaign with the contact details
// it is sent to, and where it is in the sequence.
type Target struct {
	LeadID     string
	ContactID  string
	FirstName  string
	LastName   string
	Email      *string
	Phone      *string
	TimeZone   *string
	PostalCode *string
	// Stage is the lead's status when frozen (stop on stage change).
	Stage      *string
	State      string
	StopReason *string
	// NextStep is the step the target is due for at DueAt (nil once it
	// is done or stopped).
	NextStep   int
	DueAt      *time.Time
	LastSentAt *time.Time
}

// Advance moves the target past its step, whose attempt is final at now:
// to the next step, due after sentAt (the step's send time, or now when
// nothing went out), or done after the last one.
func (t *Target) Advance(steps []Step, sentAt *time.Time, now time.Time) {
	prev := now
	if sentAt != nil {
		prev = *sentAt
		t.LastSentAt = sentAt
	}
	t.NextStep++
	if t.NextStep > len(steps) {
		t.State, t.DueAt = TargetDone, nil
		return
	}
	due := steps[t.NextStep-1].DueAfter(prev)
	t.DueAt = &due
}

// Stop ends the target's sequence for reason.
func (t *Target) Stop(reason string) {
	t.State, t.StopReason, t.DueAt = TargetStopped, &reason, nil
}

// DueAgainAt keeps the target on its step, due at `at` (a deferral, a retry).
func (t *Target) DueAgainAt(at time.Time) { t.DueAt = &at }
