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
)

// campaignEventData is the data of every campaign event.
type campaignEventData struct {
	CampaignID string  `json:"campaign_id"`
	Name       string  `json:"name"`
	Status     string  `json:"status"`
	Reason     *string `json:"reason"`
}

func campaignEvent(typ string, c domain.Campaign) Event {
	return Event{Type: typ, Aggregate: "campaign", ID: c.ID,
		Data: campaignEventData{CampaignID: c.ID, Name: c.Name, Status: string(c.Status), Reason: c.PauseReason}}
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
