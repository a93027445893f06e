package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Activity types.
var activityTypes = []string{"call", "email", "sms", "meeting", "showing", "note", "web_visit", "other"}

// directed lists the types that are always inbound or outbound.
var directed = []string{"call", "email", "sms"}

// ActivityTypes returns the activity types.
func ActivityTypes() []string { return slices.Clone(activityTypes) }

// Directions of an activity.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// MaxFutureSkew is how far in the future an activity may be dated (clock
// skew between the client and us, and scheduled showings logged early).
const MaxFutureSkew = 24 * time.Hour

// Activity is one interaction with a lead.
type Activity struct {
	ID         string
	LeadID     string
	Type       string
	Direction  *string
	Outcome    string
	Body       string
	OccurredAt time.Time
	ActorID    *string
	CreatedAt  time.Time
}

// Validate checks an activity against now.
func (a *Activity) Validate(now time.Time, f *FieldErrors) {
	a.Outcome = strings.TrimSpace(a.Outcome)
	if !slices.Contains(activityTypes, a.Type) {
		f.Add("type", "must be one of "+strings.Join(activityTypes, ", "))
	}
	if a.Direction != nil && *a.Direction != DirectionIn && *a.Direction != DirectionOut {
		f.Add("direction", "must be in or out")
	} else if a.Direction == nil && slices.Contains(directed, a.Type) {
		f.Add("direction", "is required for calls, emails and sms")
	}
	if utf8.RuneCountInString(a.Outcome) > 200 {
		f.Add("outcome", "must be at most 200 characters")
	}
	checkText("outcome", a.Outcome, f)
	checkText("body", a.Body, f)
	if utf8.RuneCountInString(a.Body) > 5000 {
		f.Add("body", "must be at most 5000 characters")
	}
	if a.OccurredAt.After(now.Add(MaxFutureSkew)) {
		f.Add("occurred_at", "must not be more than 24 hours in the future")
	}
	if a.OccurredAt.Before(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)) {
		f.Add("occurred_at", "is too far in the past")
	}
}

// Note is free text attached to a lead.
type Note struct {
	ID        string
	LeadID    string
	Body      string
	AuthorID  *string
	CreatedAt time.Time
}

// ValidateNoteBody checks a note's text.
func ValidateNoteBody(body string, f *FieldErrors) string {
	b := strings.TrimSpace(body)
	checkText("body", b, f)
	switch {
	case b == "":
		f.Add("body", "is required")
	case utf8.RuneCountInString(b) > 10000:
		f.Add("body", "must be at most 10000 characters")
	}
	return b
}
