package app

import (
	"context"
	"strings"
	"time"

	"reos.dev/services/outreach/internal/adapters/webhooks"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

// Providers' events (POST /outreach/webhooks/{provider}, and the mocks'
// Notify hook, which is the same path without the signature): each finds
// its attempt by our message key (the organisation travels in it) or the
// provider's message id, is recorded once (the provider's event id), moves
// the attempt forward and announces it. Hard bounces and complaints
// suppress the address at once, SoftBounceLimit soft bounces in a row do;
// complaints are their own status and count, never bounces. Inbound texts
// are keywords (STOP, START, HELP) or replies.

// eventRank orders an attempt's outcomes: an event moves an attempt only
// forward (a late "delivered" does not undo a complaint).
func eventRank(s domain.AttemptStatus) int {
	switch s {
	case domain.AttemptDelivered:
		return 2
	case domain.AttemptBounced:
		return 3
	case domain.AttemptComplained:
		return 4
	}
	return 1
}

// HandleProviderEvents applies verified, normalised provider events. An
// event that names no attempt of ours is skipped (logged): the provider
// must not retry it forever.
func (s *service) HandleProviderEvents(ctx context.Context, evs []webhooks.Event) error {
	for _, ev := range evs {
		var err error
		switch ev.Type {
		case webhooks.Inbound:
			err = s.inbound(ctx, ev)
		default:
			err = s.outcome(ctx, ev)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// outcome applies a delivery event to its attempt.
func (s *service) outcome(ctx context.Context, ev webhooks.Event) error {
	org := domain.KeyOrg(ev.MessageKey)
	if org == "" && ev.ProviderMessageID != "" {
		var err error
		if org, err = s.store.AttemptOrg(ctx, ev.Provider, ev.ProviderMessageID); err != nil {
			return err
		}
	}
	if org == "" {
		s.log.WarnContext(ctx, "provider event for no attempt of ours", "provider", ev.Provider, "type", ev.Type)
		return nil
	}
	return s.store.InOrg(ctx, org, func(tx Tx) error {
		a, found, err := s.findAttempt(ctx, tx, ev)
		if err != nil || !found {
			if !found {
				s.log.WarnContext(ctx, "provider event for an unknown attempt", "provider", ev.Provider, "type", ev.Type, "org_id", org)
			}
			return err
		}
		now := s.now()
		recorded, err := tx.Deliverability().Record(ctx, org, deliverabilityEvent(ev, &a.ID, now))
		if err != nil || !recorded {
			return err // a redelivery: applied the first time
		}
		return s.applyOutcome(ctx, tx, org, a, ev, now)
	})
}

func (s *service) findAttempt(ctx context.Context, tx Tx, ev webhooks.Event) (domain.Attempt, bool, error) {
	if ev.MessageKey != "" {
		a, found, err := tx.Attempts().ByKey(ctx, ev.MessageKey)
		if err != nil || found {
			return a, found, err
		}
	}
	if ev.ProviderMessageID != "" {
		return tx.Attempts().ByProviderID(ctx, ev.Provider, ev.ProviderMessageID)
	}
	return domain.Attempt{}, false, nil
}

func deliverabilityEvent(ev webhooks.Event, attemptID *string, now time.Time) DeliverabilityEvent {
	at := ev.At
	if at.IsZero() {
		at = now
	}
	d := DeliverabilityEvent{ID: newID(), AttemptID: attemptID, Provider: ev.Provider, Type: string(ev.Type),
		Recipient: optional(ev.Recipient), Detail: optional(truncate(ev.Detail, 2000)), URL: optional(truncate(ev.URL, 2000)),
		OccurredAt: at.UTC(), ReceivedAt: now}
	if ev.ProviderEventID != "" {
		d.ProviderEventID = ptr(truncate(ev.ProviderEventID, 200))
	}
	if dom := domain.EmailDomain(ev.Recipient); dom != "" {
		d.RecipientDomain = &dom
	}
	return d
}

// applyOutcome moves the attempt, keeps the lists and announces it.
func (s *service) applyOutcome(ctx context.Context, tx Tx, org string, a domain.Attempt, ev webhooks.Event, now time.Time) error {
	at := ev.At.UTC()
	if ev.At.IsZero() {
		at = now
	}
	addr := deref(a.Address)
	advance := func(st domain.AttemptStatus) bool {
		if eventRank(st) <= eventRank(a.Status) && a.Status.Accepted() {
			return false
		}
		a.Status = st
		return true
	}
	var typ string
	switch ev.Type {
	case webhooks.Delivered:
		if advance(domain.AttemptDelivered) {
			a.DeliveredAt, typ = &at, EventMessageDelivered
		}
		if err := tx.Deliverability().ResetBounces(ctx, a.Channel, addr); err != nil {
			return err
		}
	case webhooks.BouncedHard, webhooks.BouncedSoft:
		hard := ev.Type == webhooks.BouncedHard
		if advance(domain.AttemptBounced) {
			a.BouncedAt, a.Bounce, typ = &at, ptr(map[bool]string{true: "hard", false: "soft"}[hard]), EventMessageBounced
			a.Reason = optional(truncate(ev.Detail, 500))
		}
		reason := "hard_bounce"
		if !hard {
			n, err := tx.Deliverability().SoftBounce(ctx, org, a.Channel, addr, now)
			if err != nil || n < s.cfg.SoftBounceLimit {
				break
			}
			reason = "soft_bounces"
		}
		if addr != "" {
			if _, err := tx.Deliverability().Suppress(ctx, org, a.Channel, addr, reason, ev.Detail, &a.ID, now); err != nil {
				return err
			}
		}
	case webhooks.Complained:
		if a.ComplainedAt == nil {
			a.ComplainedAt, typ = &at, EventMessageComplained
			advance(domain.AttemptComplained)
		}
		if addr != "" {
			if _, err := tx.Deliverability().Suppress(ctx, org, a.Channel, addr, "complaint", ev.Detail, &a.ID, now); err != nil {
				return err
			}
		}
	case webhooks.Opened:
		if a.OpenedAt == nil {
			a.OpenedAt, typ = &at, EventMessageOpened
		}
	case webhooks.Clicked:
		if a.ClickedAt == nil {
			a.ClickedAt, typ = &at, EventMessageClicked
		}
	case webhooks.Unsubscribe:
		if addr != "" {
			return s.optOut(ctx, tx, org, a.Channel, addr, a.ContactID, a.LeadID, a.CampaignID, "api", "", at)
		}
		return nil
	default:
		return nil // deferred by the provider: recorded, nothing moves
	}
	if typ == "" {
		return nil
	}
	a.UpdatedAt = now
	if err := tx.Attempts().Save(ctx, []domain.Attempt{a}); err != nil {
		return err
	}
	if err := publish(ctx, tx, org, messageEvent(typ, a, at)); err != nil {
		return err
	}
	if a.CampaignID != nil && (typ == EventMessageBounced || typ == EventMessageComplained) {
		return s.guard(ctx, tx, org, *a.CampaignID, now)
	}
	return nil
}

// guard pauses a running campaign whose complaint or hard-bounce rate
// passed its limit after GuardMinSends accepted sends.
func (s *service) guard(ctx context.Context, tx Tx, org, campaignID string, now time.Time) error {
	sent, hard, complaints, err := tx.Attempts().Rates(ctx, campaignID)
	if err != nil || sent < s.cfg.GuardMinSends {
		return err
	}
	reason := ""
	switch {
	case float64(complaints)/float64(sent) > s.cfg.ComplaintRate:
		reason = domain.PauseComplaintRate
	case float64(hard)/float64(sent) > s.cfg.HardBounceRate:
		reason = domain.PauseHardBounceRate
	default:
		return nil
	}
	c, err := tx.Campaigns().GetForUpdate(ctx, campaignID)
	if err != nil || c.Status != domain.StatusRunning {
		return err
	}
	if err := c.Pause(reason, now); err != nil {
		return err
	}
	if err := tx.Campaigns().Update(ctx, c); err != nil {
		return err
	}
	s.log.WarnContext(ctx, "campaign auto-paused", "org_id", org, "campaign_id", campaignID, "reason", reason,
		"sent", sent, "hard_bounces", hard, "complaints", complaints)
	return publish(ctx, tx, org, campaignEvent(EventCampaignAutoPaused, c))
}

// optOut puts an address on the unsubscribe list and withdraws its
// consent, with both events; nothing when it was on the list already.
func (s *service) optOut(ctx context.Context, tx Tx, org string, ch compliance.Channel, addr string, contactID, leadID, campaignID *string,
	source, consentSource string, at time.Time) error {
	added, err := tx.Compliance().Unsubscribe(ctx, org, domain.Unsubscribe{Channel: ch, Address: addr, ContactID: contactID, LeadID: leadID,
		CampaignID: campaignID, Source: source, CreatedAt: s.now()})
	if err != nil {
		return err
	}
	evs := []Event{}
	if added {
		evs = append(evs, recipientEvent(EventContactUnsubscribed, contactID, string(ch), addr,
			optOutEventData{ContactID: contactID, LeadID: leadID, Channel: string(ch), Source: source, OccurredAt: at}))
	}
	if consentSource != "" {
		if err := tx.Compliance().AppendConsent(ctx, org, domain.ConsentEntry{ID: newID(), Channel: ch, Address: addr, ContactID: contactID,
			LeadID: leadID, Action: domain.ConsentWithdrawn, Source: consentSource, OccurredAt: at, RecordedAt: s.now()}); err != nil {
			return err
		}
		evs = append(evs, recipientEvent(EventConsentWithdrawn, contactID, string(ch), addr,
			optOutEventData{ContactID: contactID, LeadID: leadID, Channel: string(ch), Source: consentSource, OccurredAt: at}))
	}
	return publish(ctx, tx, org, evs...)
}

// inbound applies an inbound message in every organisation it may be for.
func (s *service) inbound(ctx context.Context, ev webhooks.Event) error {
	orgs := []string{}
	if org := domain.KeyOrg(ev.MessageKey); org != "" {
		orgs = append(orgs, org)
	} else if ev.Recipient != "" {
		var err error
		if orgs, err = s.store.InboundOrgs(ctx, ev.To, ev.Recipient); err != nil {
			return err
		}
	}
	if len(orgs) == 0 {
		s.log.WarnContext(ctx, "inbound message for no organisation", "provider", ev.Provider)
	}
	for _, org := range orgs {
		if err := s.store.InOrg(ctx, org, func(tx Tx) error { return s.inboundIn(ctx, tx, org, ev) }); err != nil {
			return err
		}
	}
	return nil
}

// Keyword answers: a confirmation, no marketing.
const (
	replyStop  = "You are unsubscribed and will receive no more messages. Reply START to resubscribe."
	replyStart = "You are resubscribed. Reply STOP to unsubscribe, HELP for help."
	replyHelp  = "Reply STOP to unsubscribe."
)

func (s *service) inboundIn(ctx context.Context, tx Tx, org string, ev webhooks.Event) error {
	now := s.now()
	at := ev.At.UTC()
	if ev.At.IsZero() {
		at = now
	}
	ch := compliance.SMS
	from := ev.Recipient
	if strings.Contains(from, "@") {
		ch, from = compliance.Email, strings.ToLower(from)
	}
	last, found, err := tx.Attempts().LatestTo(ctx, ch, from)
	if err != nil {
		return err
	}
	var attemptID, contactID, leadID *string
	if found {
		attemptID, contactID, leadID = &last.ID, last.ContactID, last.LeadID
	}
	recorded, err := tx.Deliverability().Record(ctx, org, deliverabilityEvent(ev, attemptID, now))
	if err != nil || !recorded {
		return err
	}
	kw := compliance.KeywordNone
	if ch == compliance.SMS {
		kw = compliance.ParseKeyword(ev.Body)
	}
	reply := func(body string) error {
		key := domain.SingleMessageKey(org, compliance.SMS, "", "keyword-reply", ev.Provider, ev.ProviderEventID, ev.ProviderMessageID, from)
		return tx.Jobs().EnqueueReply(ctx, org, Reply{To: from, Body: body, Key: key, ContactID: contactID, LeadID: leadID})
	}
	switch kw {
	case compliance.KeywordStop:
		if err := s.optOut(ctx, tx, org, ch, from, contactID, leadID, nil, "sms_stop", "sms_keyword", at); err != nil {
			return err
		}
		return reply(replyStop)
	case compliance.KeywordStart:
		if _, err := tx.Deliverability().Resubscribe(ctx, ch, from); err != nil {
			return err
		}
		proof := "inbound " + ev.Provider + " " + orDefault(ev.ProviderEventID, ev.ProviderMessageID)
		if err := tx.Compliance().AppendConsent(ctx, org, domain.ConsentEntry{ID: newID(), Channel: ch, Address: from, ContactID: contactID,
			LeadID: leadID, Action: domain.ConsentGranted, Source: "sms_keyword", Proof: &proof, OccurredAt: at, RecordedAt: now}); err != nil {
			return err
		}
		if err := publish(ctx, tx, org, recipientEvent(EventConsentGranted, contactID, string(ch), from,
			optOutEventData{ContactID: contactID, LeadID: leadID, Channel: string(ch), Source: "sms_keyword", OccurredAt: at})); err != nil {
			return err
		}
		return reply(replyStart)
	case compliance.KeywordHelp:
		st, err := s.settings(ctx, tx, org)
		if err != nil {
			return err
		}
		return reply(orDefault(deref(st.HelpText), replyHelp))
	}
	if !found {
		return nil
	}
	if last.RepliedAt == nil {
		last.RepliedAt, last.UpdatedAt = &at, now
		if err := tx.Attempts().Save(ctx, []domain.Attempt{last}); err != nil {
			return err
		}
		return publish(ctx, tx, org, messageEvent(EventMessageReplied, last, at))
	}
	return nil
}
