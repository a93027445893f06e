package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"reos.dev/services/outreach/internal/domain/compliance"
)

// AttemptStatus is where one message is.
type AttemptStatus string

// An attempt is recorded queued, moved by the gate to blocked, deferred
// or sending, and by the provider's answer to sent, failed (permanent) or
// back to queued (temporary, with not_before); the provider's events move
// a sent one to delivered, bounced or complained. unknown: an SMTP message
// whose outcome was lost (at most once: never sent again).
const (
	AttemptQueued     AttemptStatus = "queued"
	AttemptSending    AttemptStatus = "sending"
	AttemptSent       AttemptStatus = "sent"
	AttemptDelivered  AttemptStatus = "delivered"
	AttemptBounced    AttemptStatus = "bounced"
	AttemptComplained AttemptStatus = "complained"
	AttemptBlocked    AttemptStatus = "blocked"
	AttemptDeferred   AttemptStatus = "deferred"
	AttemptFailed     AttemptStatus = "failed"
	AttemptUnknown    AttemptStatus = "unknown"
)

// AttemptStatuses lists every status (the list filter's whitelist).
func AttemptStatuses() []AttemptStatus {
	return []AttemptStatus{AttemptQueued, AttemptSending, AttemptSent, AttemptDelivered, AttemptBounced, AttemptComplained,
		AttemptBlocked, AttemptDeferred, AttemptFailed, AttemptUnknown}
}

// Final reports whether nothing more will be sent for the attempt: its
// target may move on to the next step.
func (s AttemptStatus) Final() bool {
	switch s {
	case AttemptQueued, AttemptSending, AttemptDeferred:
		return false
	}
	return true
}

// Accepted reports whether a provider took the message (the guards'
// denominator).
func (s AttemptStatus) Accepted() bool {
	switch s {
	case AttemptSent, AttemptDelivered, AttemptBounced, AttemptComplained:
		return true
	}
	return false
}

// Reasons the engine records besides the gate's (compliance.Reason*).
const (
	ReasonOutcomeUnknown = "outcome_unknown" // SMTP: the process or the connection died mid-send
	ReasonTooManyTries   = "too_many_tries"
	ReasonNoTemplate     = "template_error"
)

// MaxTries bounds an attempt's temporary failures before it fails.
const MaxTries = 5

// Attempt is one message outreach means to send (outreach_attempts).
type Attempt struct {
	ID                string
	OrgID             string
	MessageKey        string
	CampaignID        *string
	Step              *int
	LeadID            *string
	ContactID         *string
	TemplateID        *string
	Channel           compliance.Channel
	Address           *string
	Status            AttemptStatus
	Reason            *string
	Detail            *string
	Bounce            *string
	Subject           *string
	Provider          *string
	ProviderMessageID *string
	NotBefore         *time.Time
	Tries             int
	QueuedAt          time.Time
	SentAt            *time.Time
	DeliveredAt       *time.Time
	OpenedAt          *time.Time
	ClickedAt         *time.Time
	RepliedAt         *time.Time
	BouncedAt         *time.Time
	ComplainedAt      *time.Time
	UpdatedAt         time.Time
}

// CampaignMessageKey is the deterministic key of a campaign's message to
// a target at a step on a channel: the provider's idempotency key, and
// the organisation travels in it so a provider's event finds its attempt
// without a cross-organisation lookup.
func CampaignMessageKey(orgID, campaignID, leadID string, step int, ch compliance.Channel) string {
	return "o" + orgID + "/c" + campaignID + "/l" + leadID + "/s" + strconv.Itoa(step) + "/" + string(ch)
}

// SingleMessageKey is the key of a single send: from the client's
// Idempotency-Key when it gave one, else from (campaign, target, template,
// step), so the same request twice is one message.
func SingleMessageKey(orgID string, ch compliance.Channel, idempotencyKey string, parts ...string) string {
	h := sha256.New()
	if idempotencyKey != "" {
		h.Write([]byte("idem\x00" + idempotencyKey))
	} else {
		h.Write([]byte("derived\x00" + strings.Join(parts, "\x00")))
	}
	return "o" + orgID + "/one/" + hex.EncodeToString(h.Sum(nil)[:20]) + "/" + string(ch)
}

// KeyOrg returns the organisation a message key names ("" when it is not
// one of outreach's keys).
func KeyOrg(key string) string {
	if len(key) < 38 || key[0] != 'o' || key[37] != '/' || !ValidID(key[1:37]) {
		return ""
	}
	return key[1:37]
}

// EmailDomain is the domain of an email address, lower case ("" for none).
func EmailDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(addr[at+1:])
}
