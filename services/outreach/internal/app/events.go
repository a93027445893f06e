package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"reos.dev/services/outreach/internal/domain"
)

// EventSource is the CloudEvents source of outreach's events; they go to
// reos.outreach.events keyed by the aggregate id.
const EventSource = "reos.outreach"

// Event types (the events contract between outreach and crm). The send
// engine emits the message events and the campaign's other transitions.
const (
	EventCampaignScheduled   = "reos.outreach.campaign.scheduled"
	EventCampaignLaunched    = "reos.outreach.campaign.launched"
	EventCampaignPaused      = "reos.outreach.campaign.paused"
	EventCampaignResumed     = "reos.outreach.campaign.resumed"
	EventCampaignCompleted   = "reos.outreach.campaign.completed"
	EventCampaignCancelled   = "reos.outreach.campaign.cancelled"
	EventCampaignMissed      = "reos.outreach.campaign.missed"
	EventCampaignAutoPaused  = "reos.outreach.campaign.auto_paused"
	EventContactUnsubscribed = "reos.outreach.contact.unsubscribed"
	EventConsentGranted      = "reos.outreach.consent.granted"
	EventConsentWithdrawn    = "reos.outreach.consent.withdrawn"

	EventMessageQueued     = "reos.outreach.message.queued"
	EventMessageSent       = "reos.outreach.message.sent"
	EventMessageDelivered  = "reos.outreach.message.delivered"
	EventMessageBounced    = "reos.outreach.message.bounced"
	EventMessageComplained = "reos.outreach.message.complained"
	EventMessageOpened     = "reos.outreach.message.opened"
	EventMessageClicked    = "reos.outreach.message.clicked"
	EventMessageReplied    = "reos.outreach.message.replied"
	EventMessageBlocked    = "reos.outreach.message.blocked"
	EventMessageDeferred   = "reos.outreach.message.deferred"
)

// messageEventData is the data of every message event (aggregate "attempt").
type messageEventData struct {
	AttemptID  string    `json:"attempt_id"`
	CampaignID *string   `json:"campaign_id"`
	Step       *int      `json:"step"`
	LeadID     *string   `json:"lead_id"`
	ContactID  *string   `json:"contact_id"`
	Channel    string    `json:"channel"`
	Status     string    `json:"status"`
	Reason     *string   `json:"reason"`
	Bounce     *string   `json:"bounce"`
	Subject    *string   `json:"subject"`
	OccurredAt time.Time `json:"occurred_at"`
}

func messageEvent(typ string, a domain.Attempt, at time.Time) Event {
	return Event{Type: typ, Aggregate: "attempt", ID: a.ID, Data: messageEventData{AttemptID: a.ID, CampaignID: a.CampaignID, Step: a.Step,
		LeadID: a.LeadID, ContactID: a.ContactID, Channel: string(a.Channel), Status: string(a.Status), Reason: a.Reason, Bounce: a.Bounce,
		Subject: a.Subject, OccurredAt: at}}
}

// campaignEventData is the data of every campaign event; targets (how
// many were frozen) is added to the contract's fields once the campaign
// has started.
type campaignEventData struct {
	CampaignID string  `json:"campaign_id"`
	Name       string  `json:"name"`
	Status     string  `json:"status"`
	Reason     *string `json:"reason"`
	Targets    *int    `json:"targets,omitempty"`
}

func campaignEvent(typ string, c domain.Campaign) Event {
	d := campaignEventData{CampaignID: c.ID, Name: c.Name, Status: string(c.Status), Reason: c.PauseReason}
	if c.LaunchedAt != nil {
		d.Targets = &c.TargetCount
	}
	return Event{Type: typ, Aggregate: "campaign", ID: c.ID, Data: d}
}

// optOutEventData is the data of contact.unsubscribed and consent.*.
type optOutEventData struct {
	ContactID  *string   `json:"contact_id"`
	LeadID     *string   `json:"lead_id"`
	Channel    string    `json:"channel"`
	Source     string    `json:"source"`
	OccurredAt time.Time `json:"occurred_at"`
}

// recipientEvent is an event about a recipient (aggregate "contact"):
// keyed by the contact id, or, for an address crm has no contact for, by
// a hash of channel and address, so one person's opt-outs and consents
// stay in order on one partition without the address in the key.
func recipientEvent(typ string, contactID *string, channel, address string, data optOutEventData) Event {
	key := ""
	if contactID != nil {
		key = *contactID
	} else {
		sum := sha256.Sum256([]byte(channel + ":" + address))
		key = "address-" + hex.EncodeToString(sum[:16])
	}
	return Event{Type: typ, Aggregate: "contact", ID: key, Data: data}
}

// publish writes evs in tx.
func publish(ctx context.Context, tx Tx, orgID string, evs ...Event) error {
	return tx.Events().Publish(ctx, orgID, evs...)
}
