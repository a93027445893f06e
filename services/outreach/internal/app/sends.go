package app

import (
	"context"
	"errors"
	"strconv"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

// SendInput is a single message (POST /outreach/email, /outreach/sms): a
// lead of the read model, a template of the channel, and what the key is
// derived from when the client gives no Idempotency-Key.
type SendInput struct {
	LeadID         string
	TemplateID     string
	CampaignID     *string
	Step           *int
	IdempotencyKey string
}

// Send sends one message once: its key is the client's Idempotency-Key,
// else derived from (campaign, target, template, step), so the same
// request twice is one message (the second answers the first's attempt).
// It passes the same gate, attempt recording and provider path as a
// campaign's messages; a text deferred by the quiet hours is sent by a
// job when its window opens. The attempt carries no campaign (a
// campaign's own message to the lead has its own key): the campaign and
// step only enter the key.
func (s *service) Send(ctx context.Context, ch compliance.Channel, in SendInput) (domain.Attempt, error) {
	p, err := auth.CallerWith(ctx, PermCampaignsLaunch)
	if err != nil {
		return domain.Attempt{}, err
	}
	var f domain.FieldErrors
	if !domain.ValidID(in.LeadID) {
		f.Add("lead_id", "must be a lead id (UUID)")
	}
	if !domain.ValidID(in.TemplateID) {
		f.Add("template_id", "must be a "+string(ch)+" template id (UUID)")
	}
	if in.CampaignID != nil && !domain.ValidID(*in.CampaignID) {
		f.Add("campaign_id", "must be a campaign id (UUID)")
	}
	if in.Step != nil && (*in.Step < 1 || *in.Step > domain.MaxSteps) {
		f.Add("step", "must be from 1 to "+strconv.Itoa(domain.MaxSteps))
	}
	if len(in.IdempotencyKey) > 255 {
		f.Add("Idempotency-Key", "must be at most 255 bytes")
	}
	if err := f.Err(); err != nil {
		return domain.Attempt{}, err
	}
	step := ""
	if in.Step != nil {
		step = strconv.Itoa(*in.Step)
	}
	key := domain.SingleMessageKey(p.OrgID, ch, in.IdempotencyKey, deref(in.CampaignID), in.LeadID, in.TemplateID, step)
	now := s.now()
	var a domain.Attempt
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if in.CampaignID != nil {
			if _, err := tx.Campaigns().Get(ctx, *in.CampaignID); errors.Is(err, apperr.ErrNotFound) {
				return apperr.Invalid("campaign_id", "unknown campaign")
			} else if err != nil {
				return err
			}
		}
		leads, err := tx.Audience().Leads(ctx, []string{in.LeadID})
		if err != nil {
			return err
		}
		l, ok := leads[in.LeadID]
		if !ok || l.Archived {
			return apperr.Invalid("lead_id", "unknown or archived lead")
		}
		if err := s.checkTemplate(ctx, tx, ch, in.TemplateID); err != nil {
			return err
		}
		addr := l.Contact.Email
		if ch == compliance.SMS {
			addr = l.Contact.Phone
		}
		found, err := tx.Attempts().Ensure(ctx, p.OrgID, []domain.Attempt{{ID: newID(), OrgID: p.OrgID, MessageKey: key, LeadID: &l.LeadID,
			ContactID: &l.ContactID, TemplateID: &in.TemplateID, Channel: ch, Address: addr, Status: domain.AttemptQueued, QueuedAt: now, UpdatedAt: now}})
		if err != nil {
			return err
		}
		a = found[0]
		return nil
	})
	if err != nil {
		return a, err
	}
	return s.sendSingle(ctx, p.OrgID, a.ID)
}

func (s *service) checkTemplate(ctx context.Context, tx Tx, ch compliance.Channel, id string) error {
	var err error
	if ch == compliance.SMS {
		_, err = tx.Templates().GetSMS(ctx, id)
	} else {
		_, err = tx.Templates().GetEmail(ctx, id)
	}
	if errors.Is(err, apperr.ErrNotFound) {
		return apperr.Invalid("template_id", "unknown "+string(ch)+" template")
	}
	return err
}

// SendDeferred sends a single message whose quiet hours have ended (the
// deferred-send job).
func (s *service) SendDeferred(ctx context.Context, orgID, attemptID string) error {
	_, err := s.sendSingle(ctx, orgID, attemptID)
	return err
}

// sendSingle takes a single send's attempt through the gate, the
// provider and the answer; an attempt already final is answered as it is.
func (s *service) sendSingle(ctx context.Context, orgID, attemptID string) (domain.Attempt, error) {
	m := &message{}
	var st domain.Settings
	err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		a, err := tx.Attempts().Get(ctx, attemptID)
		if err != nil {
			return err
		}
		m.attempt, m.was = a, a.Status
		now := s.now()
		if a.Status.Final() {
			return nil
		}
		if a.Status == domain.AttemptSending && !resendable(deref(a.Provider)) {
			m.attempt.Status, m.attempt.Reason, m.attempt.UpdatedAt = domain.AttemptUnknown, ptr(domain.ReasonOutcomeUnknown), now
			return tx.Attempts().Save(ctx, []domain.Attempt{m.attempt})
		}
		if st, err = s.settings(ctx, tx, orgID); err != nil {
			return err
		}
		leads, err := tx.Audience().Leads(ctx, []string{deref(a.LeadID)})
		if err != nil {
			return err
		}
		l := leads[deref(a.LeadID)]
		c := l.Contact
		t := domain.Target{LeadID: l.LeadID, ContactID: l.ContactID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone}
		m.zoneHint = recipientZone{stored: deref(c.TimeZone), postal: orDefault(deref(c.PostalCode), deref(l.PostalCode))}
		if m.email, m.sms, err = newTemplateCache().load(ctx, tx, a.Channel, deref(a.TemplateID)); err != nil {
			return err
		}
		if m.data, err = s.mergeData(orgID, st, t, &l, a.Channel, deref(a.Address), ""); err != nil {
			return err
		}
		if err := gate(ctx, tx, st, []*message{m}, now); err != nil {
			return err
		}
		if m.was == domain.AttemptSending && m.decision.Outcome == compliance.Send {
			m.attempt.Tries--
		}
		ev := m.decided(s.providerFor(a.Channel), now)
		if err := tx.Attempts().Save(ctx, []domain.Attempt{m.attempt}); err != nil {
			return err
		}
		if m.attempt.Status == domain.AttemptDeferred && m.was != domain.AttemptDeferred {
			if err := tx.Jobs().EnqueueDeferred(ctx, orgID, a.ID, deferredAt(*m.attempt.NotBefore, now)); err != nil {
				return err
			}
		}
		if ev == "" {
			return nil
		}
		return publish(ctx, tx, orgID, messageEvent(ev, m.attempt, now))
	})
	if err != nil || m.attempt.Status != domain.AttemptSending {
		return m.attempt, err
	}
	s.deliver(ctx, orgID, st, []*message{m}, nil)
	err = s.store.InOrg(context.WithoutCancel(ctx), orgID, func(tx Tx) error {
		now := s.now()
		ev := m.settle(nil, now)
		if err := tx.Attempts().Save(ctx, []domain.Attempt{m.attempt}); err != nil {
			return err
		}
		if m.attempt.Status == domain.AttemptQueued {
			if err := tx.Jobs().EnqueueDeferred(ctx, orgID, m.attempt.ID, deferredAt(*m.attempt.NotBefore, now)); err != nil {
				return err
			}
		}
		if ev == "" {
			return nil
		}
		return publish(ctx, tx, orgID, messageEvent(ev, m.attempt, now))
	})
	return m.attempt, err
}

// deferredAt is when a River job for t should run: River counts real
// time, the engine its clock (the same outside tests).
func deferredAt(t, now time.Time) time.Time { return time.Now().Add(t.Sub(now)) }
