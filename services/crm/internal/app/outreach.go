package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"reos.dev/pkg/events"
)

// Outreach's events on the lead timeline (topic reos.outreach.events; the
// contract is outreach's, in docs/architecture.md's events section and
// the README): what was sent to a lead's person and what became of it,
// opt-outs and consent. Campaign events name no lead and are not shown.

// outreachPrefix starts every type of outreach's topic.
const outreachPrefix = "reos.outreach."

// The verbs of outreach's message events (aggregate "attempt") and how a
// timeline line says them.
var messageVerbs = map[string]string{
	"queued": "queued", "sent": "sent", "delivered": "delivered", "bounced": "bounced",
	"complained": "marked as spam", "opened": "opened", "clicked": "clicked", "replied": "replied",
	"blocked": "blocked", "deferred": "deferred",
}

// optOutSources says how a person opted out or in.
var optOutSources = map[string]string{
	"link": "unsubscribe link", "one_click": "one-click unsubscribe", "sms_stop": "STOP reply", "api": "API",
}

// Bounds of what the timeline keeps of an event's text.
const (
	maxSummary    = 200
	maxDetailText = 300
)

// ErrBadOutreachEvent marks an outreach event crm cannot show (no org; a
// lead, contact or campaign id that is not a UUID; an unknown channel;
// undecodable data). The consumer retries it a few times, then logs and
// skips it.
var ErrBadOutreachEvent = errors.New("malformed outreach event")

// OutreachEntry is one outreach event as the lead timeline keeps it.
type OutreachEntry struct {
	// EventID is the CloudEvents id: the entry is recorded once per id.
	EventID string
	Type    string
	// LeadID and ContactID are who the event names (at least one).
	LeadID, ContactID *string
	Summary           string
	// Detail is the JSON object of the event's facts the timeline shows
	// (checked and bounded, never the raw payload).
	Detail     []byte
	OccurredAt time.Time
}

// outreachData is the union of the data of the event types shown.
type outreachData struct {
	AttemptID  *string    `json:"attempt_id"`
	CampaignID *string    `json:"campaign_id"`
	Step       *int       `json:"step"`
	LeadID     *string    `json:"lead_id"`
	ContactID  *string    `json:"contact_id"`
	Channel    string     `json:"channel"`
	Status     *string    `json:"status"`
	Reason     *string    `json:"reason"`
	Bounce     *string    `json:"bounce"`
	Subject    *string    `json:"subject"`
	Source     *string    `json:"source"`
	OccurredAt *time.Time `json:"occurred_at"`
}

// outreachDetail is what an entry's Detail holds (the timeline item's data
// besides type and summary); absent facts are left out.
type outreachDetail struct {
	Channel    string  `json:"channel"`
	AttemptID  *string `json:"attempt_id,omitempty"`
	CampaignID *string `json:"campaign_id,omitempty"`
	Step       *int    `json:"step,omitempty"`
	Status     *string `json:"status,omitempty"`
	Reason     *string `json:"reason,omitempty"`
	Bounce     *string `json:"bounce,omitempty"`
	Subject    *string `json:"subject,omitempty"`
	Source     *string `json:"source,omitempty"`
}

// ParseOutreachEvent reads one event of reos.outreach.events as a timeline
// entry. ok is false for an event the timeline does not show: another
// type (campaign events, types it does not know), or one naming neither a
// lead nor a contact. A shown type that is malformed is an error wrapping
// ErrBadOutreachEvent. Text from the event (subject, reason, source) is
// cleaned of control characters and bounded, so whatever outreach sends,
// the summary is one line crm can store.
func ParseOutreachEvent(ev events.Event) (e OutreachEntry, ok bool, err error) {
	aggregate, verb, found := strings.Cut(strings.TrimPrefix(ev.Type, outreachPrefix), ".")
	if !strings.HasPrefix(ev.Type, outreachPrefix) || !found {
		return e, false, nil
	}
	switch {
	case aggregate == "message" && messageVerbs[verb] != "":
	case aggregate == "contact" && verb == "unsubscribed":
	case aggregate == "consent" && (verb == "granted" || verb == "withdrawn"):
	default:
		return e, false, nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s %s: "+format, append([]any{ErrBadOutreachEvent, ev.Type, ev.ID}, args...)...)
	}
	if _, err := uuid.Parse(ev.OrgID); err != nil || ev.ID == "" || len(ev.ID) > 200 || !utf8.ValidString(ev.ID) {
		return e, false, bad("orgid %q or id is not usable", ev.OrgID)
	}
	var d outreachData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return e, false, bad("data: %v", err)
	}
	e = OutreachEntry{EventID: ev.ID, Type: ev.Type, OccurredAt: ev.Time.UTC()}
	for _, ref := range []struct {
		name string
		in   *string
		out  **string
	}{{"lead_id", d.LeadID, &e.LeadID}, {"contact_id", d.ContactID, &e.ContactID},
		{"campaign_id", d.CampaignID, &d.CampaignID}, {"attempt_id", d.AttemptID, &d.AttemptID}} {
		if ref.in == nil {
			continue
		}
		id, err := uuid.Parse(*ref.in)
		if err != nil {
			return e, false, bad("%s %q is not a UUID", ref.name, *ref.in)
		}
		s := id.String()
		*ref.out = &s
	}
	if e.LeadID == nil && e.ContactID == nil {
		return e, false, nil
	}
	channel, known := map[string]string{"email": "Email", "sms": "SMS"}[d.Channel]
	if !known {
		return e, false, bad("channel %q is neither email nor sms", d.Channel)
	}
	if d.OccurredAt != nil && !d.OccurredAt.IsZero() {
		e.OccurredAt = d.OccurredAt.UTC()
	}
	if e.OccurredAt.IsZero() || e.OccurredAt.Year() < 1000 || e.OccurredAt.Year() > 9999 {
		return e, false, bad("occurred_at %s is out of range", e.OccurredAt)
	}
	e.OccurredAt = e.OccurredAt.Truncate(time.Microsecond)
	detail := outreachDetail{Channel: d.Channel, AttemptID: d.AttemptID, CampaignID: d.CampaignID, Step: d.Step,
		Status: cleanText(d.Status, 50), Reason: cleanText(d.Reason, maxDetailText), Subject: cleanText(d.Subject, maxDetailText),
		Source: cleanText(d.Source, 50)}
	if d.Bounce != nil && (*d.Bounce == "hard" || *d.Bounce == "soft") {
		detail.Bounce = d.Bounce
	}
	e.Summary = outreachSummary(aggregate, verb, channel, detail)
	if e.Detail, err = json.Marshal(detail); err != nil {
		return e, false, bad("detail: %v", err)
	}
	return e, true, nil
}

// outreachSummary is an entry's one line: "Email sent: Spring open house",
// "SMS blocked: do_not_call", "Email bounced (hard): mailbox unknown",
// "Unsubscribed from email: one-click unsubscribe", "SMS consent
// withdrawn: STOP reply".
func outreachSummary(aggregate, verb, channel string, d outreachDetail) string {
	var line, detail string
	switch aggregate {
	case "message":
		line = channel + " " + messageVerbs[verb]
		if d.Bounce != nil {
			line += " (" + *d.Bounce + ")"
		}
		if d.Reason != nil {
			detail = *d.Reason
		} else if d.Subject != nil {
			detail = *d.Subject
		}
	case "contact":
		line = "Unsubscribed from " + map[string]string{"Email": "email", "SMS": "SMS"}[channel]
		detail = sourceSaid(d.Source)
	default:
		line = channel + " consent " + verb
		detail = sourceSaid(d.Source)
	}
	if detail != "" {
		line += ": " + detail
	}
	return truncate(line, maxSummary)
}

func sourceSaid(s *string) string {
	if s == nil {
		return ""
	}
	if said, ok := optOutSources[*s]; ok {
		return said
	}
	return *s
}

// cleanText makes outside text safe to keep and show on one line: invalid
// UTF-8, control and format characters become spaces, white space runs
// one space, trimmed, at most n characters; nothing left is nil.
func cleanText(s *string, n int) *string {
	if s == nil {
		return nil
	}
	t := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(*s, " "))
	t = truncate(strings.Join(strings.Fields(t), " "), n)
	if t == "" {
		return nil
	}
	return &t
}

// truncate cuts s to at most n characters, marking a cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// OutreachTimeline is the write side of the lead timeline's outreach
// entries, bound to the consumer's transaction (app.org_id is the event's
// organisation, so another organisation's lead or contact is unknown).
type OutreachTimeline interface {
	// LeadKnown and ContactKnown report whether the id names a lead or a
	// contact of the organisation.
	LeadKnown(ctx context.Context, id string) (bool, error)
	ContactKnown(ctx context.Context, id string) (bool, error)
	// Record stores e as the timeline item id of orgID unless an entry of
	// the same event is there (then nothing changes).
	Record(ctx context.Context, orgID, id string, e OutreachEntry) error
}

// ApplyOutreachEvent records one event of reos.outreach.events on the
// timeline of the lead it names or, when it names no lead crm knows, of
// the leads of the contact it names; an event naming neither a known lead
// nor a known contact is dropped (crm has no one to show it to). The
// consumer's inbox and the entry's event key make a redelivery harmless.
func ApplyOutreachEvent(ctx context.Context, m OutreachTimeline, ev events.Event) error {
	e, ok, err := ParseOutreachEvent(ev)
	if err != nil || !ok {
		return err
	}
	if e.LeadID != nil {
		known, err := m.LeadKnown(ctx, *e.LeadID)
		if err != nil {
			return err
		}
		if !known {
			e.LeadID = nil
		}
	}
	if e.ContactID != nil {
		known, err := m.ContactKnown(ctx, *e.ContactID)
		if err != nil {
			return err
		}
		if !known {
			e.ContactID = nil
		}
	}
	if e.LeadID == nil && e.ContactID == nil {
		return nil
	}
	return m.Record(ctx, ev.OrgID, newID(), e)
}
