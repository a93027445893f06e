package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"reos.dev/services/outreach/internal/domain/compliance"
)

// DNCEntry is a number on the organisation's do-not-call list.
type DNCEntry struct {
	ID        string
	Phone     string
	Reason    *string
	AddedBy   *string
	CreatedAt time.Time
}

// Consent actions and how consent may be given or withdrawn (the
// consent_log's checks).
const (
	ConsentGranted   = "granted"
	ConsentWithdrawn = "withdrawn"
)

// ConsentSources are the ways consent is recorded: how it was given.
var ConsentSources = []string{"web_form", "paper_form", "verbal", "import", "api", "sms_keyword", "unsubscribe"}

// MaxProofLen and MaxReasonLen bound free text on the lists.
const (
	MaxProofLen  = 2000
	MaxReasonLen = 500
)

// ConsentEntry is one line of the append-only consent log: who (ActorID:
// the user who recorded it; nil when the recipient acted themselves), when
// (OccurredAt; RecordedAt is when outreach learnt it), how (Source) and
// the proof, for one channel and address.
type ConsentEntry struct {
	ID         string
	Channel    compliance.Channel
	Address    string
	ContactID  *string
	LeadID     *string
	Action     string
	Source     string
	Proof      *string
	ActorID    *string
	OccurredAt time.Time
	RecordedAt time.Time
}

// Unsubscribe is an entry of the unsubscribe list.
type Unsubscribe struct {
	Channel    compliance.Channel
	Address    string
	ContactID  *string
	LeadID     *string
	CampaignID *string
	Source     string
	CreatedAt  time.Time
}

// OptionalText validates an optional free-text field (trimmed; nil or
// empty is none).
func OptionalText(field string, v *string, limit int, f *FieldErrors) *string {
	if v == nil {
		return nil
	}
	t := strings.TrimSpace(*v)
	if t == "" {
		return nil
	}
	if utf8.RuneCountInString(t) > limit || !utf8.ValidString(t) {
		f.Add(field, "must be at most "+itoa(limit)+" characters")
	}
	return &t
}
