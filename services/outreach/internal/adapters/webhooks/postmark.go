package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// PostmarkKeyField is the Metadata field that carries outreach's message
// key (the sender sets Metadata {"reos_key": key}; Postmark echoes it).
const PostmarkKeyField = "reos_key"

// Postmark decodes Postmark's webhooks, which it authenticates with the
// HTTP basic credentials configured in the webhook's URL. Postmark signs
// nothing and sends no timestamp, so there is no replay window: what is
// replayed is recognised by its event id instead.
type Postmark struct {
	user, pass string
}

// NewPostmark is the Postmark decoder for the webhook's basic credentials.
func NewPostmark(user, pass string) (*Postmark, error) {
	if user == "" || pass == "" {
		return nil, errors.New("webhooks: Postmark needs a basic-auth user and password")
	}
	return &Postmark{user: user, pass: pass}, nil
}

// Provider is "postmark".
func (*Postmark) Provider() string { return "postmark" }

type postmarkRecord struct {
	RecordType        string            `json:"RecordType"`
	ID                json.Number       `json:"ID"`
	Type              string            `json:"Type"`
	MessageID         string            `json:"MessageID"`
	Recipient         string            `json:"Recipient"`
	Email             string            `json:"Email"`
	Details           string            `json:"Details"`
	Description       string            `json:"Description"`
	Inactive          bool              `json:"Inactive"`
	DeliveredAt       string            `json:"DeliveredAt"`
	BouncedAt         string            `json:"BouncedAt"`
	ReceivedAt        string            `json:"ReceivedAt"`
	ChangedAt         string            `json:"ChangedAt"`
	OriginalLink      string            `json:"OriginalLink"`
	SuppressSending   bool              `json:"SuppressSending"`
	SuppressionReason string            `json:"SuppressionReason"`
	Metadata          map[string]string `json:"Metadata"`
}

// postmarkHard are the bounce types after which the address is dead:
// Postmark's hard bounce, a bad address and a manual deactivation.
// Every other failing type (SoftBounce, Transient, DnsError, Blocked,
// DMARCPolicy, SpamNotification, ChallengeVerification, Unknown …) is soft,
// unless Postmark deactivated the address (Inactive), which makes it hard:
// Postmark will not send to it again.
var postmarkHard = map[string]bool{"HardBounce": true, "BadEmailAddress": true, "ManuallyDeactivated": true}

// postmarkNotBounce are bounce records that are not delivery failures:
// an auto-reply or an address-change notice means the mail arrived.
var postmarkNotBounce = map[string]bool{"AutoResponder": true, "AddressChange": true, "OpenRelayTest": true, "Subscribe": true}

// Decode checks the basic credentials (in constant time), then maps the
// record: Delivery, Bounce (see postmarkHard; a bounce record of type
// SpamComplaint is a complaint, of type Unsubscribe an unsubscribe),
// SpamComplaint, Open, Click, and a SubscriptionChange that suppresses by
// hand (an unsubscribe; the bounce and complaint ones were reported already).
func (p *Postmark) Decode(_ context.Context, r *http.Request, body []byte) ([]Event, error) {
	user, pass, ok := r.BasicAuth()
	// Both comparisons always run: which half was wrong takes no longer.
	okUser, okPass := equalSecret(user, p.user), equalSecret(pass, p.pass)
	if !ok || !okUser || !okPass {
		return nil, unauthorized("Postmark basic credentials missing or wrong")
	}
	var rec postmarkRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return nil, malformed("body must be a Postmark webhook record: %v", err)
	}
	if rec.RecordType == "" {
		return nil, malformed("RecordType is required")
	}
	ev := Event{Provider: "postmark", ProviderMessageID: rec.MessageID, MessageKey: rec.Metadata[PostmarkKeyField]}
	var when string
	switch rec.RecordType {
	case "Delivery":
		ev.Type, ev.Recipient, ev.Detail, when = Delivered, rec.Recipient, rec.Details, rec.DeliveredAt
		ev.ProviderEventID = eventID("delivery", rec.MessageID, rec.Recipient)
	case "Bounce", "SpamComplaint":
		t, ok := postmarkBounceType(rec)
		if !ok {
			return nil, nil
		}
		if rec.ID.String() == "" {
			return nil, malformed("ID is required in a %s record", rec.RecordType)
		}
		if _, err := strconv.ParseInt(rec.ID.String(), 10, 64); err != nil {
			return nil, malformed("ID must be an integer")
		}
		ev.Type, ev.Recipient, ev.Detail, when = t, rec.Email, rec.Type+": "+rec.Description, rec.BouncedAt
		ev.ProviderEventID = eventID("bounce", rec.ID.String())
	case "Open":
		ev.Type, ev.Recipient, when = Opened, rec.Recipient, rec.ReceivedAt
		ev.ProviderEventID = eventID("open", rec.MessageID, rec.Recipient, rec.ReceivedAt)
	case "Click":
		ev.Type, ev.Recipient, ev.URL, when = Clicked, rec.Recipient, rec.OriginalLink, rec.ReceivedAt
		ev.ProviderEventID = eventID("click", rec.MessageID, rec.Recipient, rec.ReceivedAt, rec.OriginalLink)
	case "SubscriptionChange":
		if !rec.SuppressSending || rec.SuppressionReason != "ManualSuppression" {
			return nil, nil
		}
		ev.Type, ev.Recipient, ev.Detail, when = Unsubscribe, rec.Recipient, rec.SuppressionReason, rec.ChangedAt
		ev.ProviderEventID = eventID("subscription", rec.MessageID, rec.Recipient, rec.ChangedAt)
	default:
		return nil, nil
	}
	if rec.MessageID == "" && ev.MessageKey == "" {
		return nil, malformed("MessageID is required")
	}
	at, err := time.Parse(time.RFC3339Nano, when)
	if err != nil {
		return nil, malformed("the %s record's time %q is not RFC 3339", rec.RecordType, when)
	}
	ev.At = at.UTC()
	return []Event{ev}, nil
}

func postmarkBounceType(rec postmarkRecord) (Type, bool) {
	switch {
	case rec.RecordType == "SpamComplaint" || rec.Type == "SpamComplaint":
		return Complained, true
	case rec.Type == "Unsubscribe":
		return Unsubscribe, true
	case postmarkNotBounce[rec.Type]:
		return "", false
	case postmarkHard[rec.Type] || rec.Inactive:
		return BouncedHard, true
	}
	return BouncedSoft, true
}
