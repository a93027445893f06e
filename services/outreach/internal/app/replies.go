package app

import (
	"context"
	"fmt"

	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

// SendReply sends a keyword's answer once: its attempt is recorded under
// the reply's key first, so a retried job or a redelivered webhook finds
// it and sends nothing more. The answer is the recipient's own request
// (STOP's confirmation, HELP's text): the opt-out rules of the gate do
// not stop it, and it carries no marketing.
func (s *service) SendReply(ctx context.Context, orgID string, r Reply) error {
	now := s.now()
	m := &message{ungated: true, body: r.Body}
	var st domain.Settings
	err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		var err error
		if st, err = s.settings(ctx, tx, orgID); err != nil {
			return err
		}
		to := r.To
		found, err := tx.Attempts().Ensure(ctx, orgID, []domain.Attempt{{ID: newID(), OrgID: orgID, MessageKey: r.Key, LeadID: r.LeadID,
			ContactID: r.ContactID, Channel: compliance.SMS, Address: &to, Status: domain.AttemptQueued, QueuedAt: now, UpdatedAt: now}})
		if err != nil {
			return err
		}
		m.attempt, m.was = found[0], found[0].Status
		if m.was.Final() || (m.was == domain.AttemptSending && !resendable(deref(m.attempt.Provider))) {
			m.attempt.Status = domain.AttemptSent // nothing to do
			return nil
		}
		if err := gate(ctx, tx, st, []*message{m}, now); err != nil {
			return err
		}
		m.decided(s.sms.Name(), now)
		m.attempt.Reason = ptr("keyword_reply")
		return tx.Attempts().Save(ctx, []domain.Attempt{m.attempt})
	})
	if err != nil || m.attempt.Status != domain.AttemptSending {
		return err
	}
	s.deliver(ctx, orgID, st, []*message{m}, nil)
	err = s.store.InOrg(context.WithoutCancel(ctx), orgID, func(tx Tx) error {
		ev := m.settle(nil, s.now())
		if err := tx.Attempts().Save(ctx, []domain.Attempt{m.attempt}); err != nil {
			return err
		}
		if ev == "" || ev == EventMessageQueued {
			return nil
		}
		return publish(ctx, tx, orgID, messageEvent(ev, m.attempt, s.now()))
	})
	if err == nil && m.attempt.Status == domain.AttemptQueued {
		// A temporary failure: the job's next attempt sends it.
		return fmt.Errorf("reply %s: %w", m.attempt.ID, m.err)
	}
	return err
}
