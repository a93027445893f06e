package app

import (
	"context"
	"strconv"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

// The send engine. A running campaign is worked by a chain of short step
// jobs (pkg/jobs: each works until jobs.StepOver, then hands over with
// jobs.Continue in the transaction of its last batch). A step takes a
// batch of due targets at a time, records each message's attempt and gate
// decision, sends, and records the answers (messages.go). When nothing is
// due but work remains (a later step, a deferred text, a retry), the chain
// ends with the campaign's next_wake_at; the scheduler (RunScheduler)
// enqueues the next step then, and starts scheduled campaigns or holds
// them as missed.

// LaunchInput is a launch: now, or at StartAt when that is in the future.
type LaunchInput struct {
	StartAt *time.Time
}

// LaunchCampaign starts a campaign (or schedules it): its templates must
// compile and an email campaign needs the organisation's postal address
// (CAN-SPAM: 422); the targets are frozen when it starts.
func (s *service) LaunchCampaign(ctx context.Context, id string, in LaunchInput) (domain.Campaign, error) {
	return s.transition(ctx, id, func(tx Tx, c *domain.Campaign, now time.Time) (string, error) {
		if in.StartAt != nil && !in.StartAt.After(now.Add(-time.Minute)) {
			return "", apperr.Invalid("start_at", "must not be in the past")
		}
		before := *c
		started, err := c.Launch(now, in.StartAt)
		if err != nil {
			return "", err
		}
		if err := s.checkLaunchable(ctx, tx, c.OrgID, *c); err != nil {
			return "", err
		}
		switch {
		case started:
			return EventCampaignLaunched, s.start(ctx, tx, c, now)
		case before.Status != c.Status || !before.ScheduledAt.Equal(*c.ScheduledAt):
			return EventCampaignScheduled, nil
		}
		return "", nil
	})
}

// checkLaunchable refuses a launch whose messages could not be sent: a
// step template that no longer compiles, an email step without the
// organisation's postal address.
func (s *service) checkLaunchable(ctx context.Context, tx Tx, orgID string, c domain.Campaign) error {
	cache := newTemplateCache()
	var f domain.FieldErrors
	email := false
	for i, st := range c.Steps {
		e, m, err := cache.load(ctx, tx, st.Channel, st.TemplateID)
		if err != nil {
			return err
		}
		if e == nil && m == nil {
			f.Add("steps["+strconv.Itoa(i)+"].template_id", "the template does not compile: fix it before launching")
		}
		email = email || st.Channel == compliance.Email
	}
	if email {
		st, err := s.settings(ctx, tx, orgID)
		if err != nil {
			return err
		}
		if st.PostalAddress == nil {
			f.Add("postal_address", "is not set in the organisation's outreach settings: an email campaign cannot launch without it (CAN-SPAM)")
		}
	}
	return f.Err()
}

// start freezes the campaign's targets and enqueues its step chains in
// tx; the caller saves the campaign (running) and announces it.
func (s *service) start(ctx context.Context, tx Tx, c *domain.Campaign, now time.Time) error {
	n, err := tx.Engine().FreezeTargets(ctx, *c, c.FirstDue(now), now)
	if err != nil {
		return err
	}
	c.TargetCount, c.NextWakeAt = n, nil
	return s.enqueueChains(ctx, tx, *c)
}

// enqueueChains starts the campaign's step chains: Parallel of them, which
// claim distinct targets (SKIP LOCKED), so one campaign's database work
// and sends overlap. Each ends when nothing is due; the last to end
// completes the campaign or puts it to sleep.
func (s *service) enqueueChains(ctx context.Context, tx Tx, c domain.Campaign) error {
	for range s.cfg.Parallel {
		if err := tx.Jobs().EnqueueStep(ctx, c.OrgID, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// PauseCampaign pauses a running campaign: its step sees it before the
// next message and ends; resume goes on from there.
func (s *service) PauseCampaign(ctx context.Context, id string) (domain.Campaign, error) {
	return s.transition(ctx, id, func(tx Tx, c *domain.Campaign, now time.Time) (string, error) {
		return EventCampaignPaused, c.Pause(domain.PauseManual, now)
	})
}

// ResumeCampaign runs a paused campaign again (a manual pause or a
// guard's): its next step is enqueued at once. Launching a paused campaign
// is a conflict that points here, so "launch" never means "again".
func (s *service) ResumeCampaign(ctx context.Context, id string) (domain.Campaign, error) {
	return s.transition(ctx, id, func(tx Tx, c *domain.Campaign, now time.Time) (string, error) {
		if err := c.Resume(now); err != nil {
			return "", err
		}
		c.NextWakeAt = nil
		return EventCampaignResumed, s.enqueueChains(ctx, tx, *c)
	})
}

// transition changes a campaign under its row lock (campaigns:launch):
// apply moves it and names the event to announce ("" for none); the
// campaign is saved and the event published in the same transaction.
func (s *service) transition(ctx context.Context, id string, apply func(Tx, *domain.Campaign, time.Time) (string, error)) (domain.Campaign, error) {
	p, err := requireOn(ctx, PermCampaignsLaunch, id, domain.ReasonCampaignNotFound, "campaign")
	if err != nil {
		return domain.Campaign{}, err
	}
	var c domain.Campaign
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if c, err = tx.Campaigns().GetForUpdate(ctx, id); err != nil {
			return err
		}
		ev, err := apply(tx, &c, s.now())
		if err != nil {
			return err
		}
		if err := tx.Campaigns().Update(ctx, c); err != nil || ev == "" {
			return err
		}
		return publish(ctx, tx, p.OrgID, campaignEvent(ev, c))
	})
	return c, err
}

// RunScheduler starts the scheduled campaigns whose start has come (or
// holds them as missed, past their grace period) and enqueues the next
// step of running campaigns whose next work is due. It returns how many
// campaigns it moved. The binary runs it every SCHEDULER_INTERVAL; every
// decision is taken again under the campaign's lock, so several
// instances may run it at once.
func (s *service) RunScheduler(ctx context.Context) (int, error) {
	now := s.now()
	refs, err := s.store.DueCampaigns(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, ref := range refs {
		err := s.store.InOrg(ctx, ref.OrgID, func(tx Tx) error {
			c, err := tx.Campaigns().GetForUpdate(ctx, ref.CampaignID)
			if err != nil {
				return err
			}
			now := s.now()
			switch {
			case c.Status == domain.StatusScheduled:
				started := c.StartScheduled(now)
				if !started && c.Status != domain.StatusMissed {
					return nil
				}
				moved++
				var ev Event
				if started {
					if err := s.start(ctx, tx, &c, now); err != nil {
						return err
					}
					ev = campaignEvent(EventCampaignLaunched, c)
				} else {
					ev = campaignEvent(EventCampaignMissed, c)
					ev.Data = withReason(ev.Data, "start missed by "+now.Sub(*c.ScheduledAt).Truncate(time.Second).String()+", more than the grace period")
				}
				if err := tx.Campaigns().Update(ctx, c); err != nil {
					return err
				}
				return publish(ctx, tx, ref.OrgID, ev)
			case c.Status == domain.StatusRunning && c.NextWakeAt != nil && !c.NextWakeAt.After(now):
				moved++
				c.NextWakeAt, c.UpdatedAt = nil, now
				if err := tx.Campaigns().Update(ctx, c); err != nil {
					return err
				}
				return s.enqueueChains(ctx, tx, c)
			}
			return nil
		})
		if err != nil {
			s.log.ErrorContext(ctx, "scheduler: campaign", "org_id", ref.OrgID, "campaign_id", ref.CampaignID, "error", err)
		}
	}
	return moved, nil
}

func withReason(d any, reason string) any {
	if c, ok := d.(campaignEventData); ok {
		c.Reason = &reason
		return c
	}
	return d
}

// RunCampaignStep works one step of a campaign's execution: batches of
// due targets until the step's time is over (then the next step takes
// over), nothing is due (the chain ends; the scheduler wakes the campaign
// when something is) or the campaign is no longer running (paused,
// cancelled: the chain ends before the next message).
func (s *service) RunCampaignStep(ctx context.Context, orgID, campaignID string, run StepRun) error {
	cache := newTemplateCache()
	for {
		if run.StepOver(ctx) {
			return s.store.InOrg(ctx, orgID, func(tx Tx) error { return run.Continue(ctx, tx) })
		}
		b, err := s.claim(ctx, orgID, campaignID, cache)
		if err != nil {
			return err
		}
		if b.stopped || len(b.targets) == 0 {
			return s.endChain(ctx, orgID, campaignID, run)
		}
		running := func() bool {
			st, found, err := s.store.CampaignStatus(ctx, orgID, campaignID)
			if err != nil {
				s.log.WarnContext(ctx, "engine: campaign status", "campaign_id", campaignID, "error", err)
			}
			return err == nil && found && st == domain.StatusRunning
		}
		if err := s.sendAndRecord(ctx, b, running); err != nil {
			return err
		}
	}
}

// sendChunk is how many messages are marked sending, sent and recorded
// together: it bounds the messages a crash can leave in doubt (SMTP:
// unknown, at most once) per step chain.
const sendChunk = 25

// sendAndRecord sends the batch's messages a chunk at a time: marked
// sending (the decision recorded before the provider call), sent, and
// their answers recorded. A chunk the campaign may no longer send (paused,
// cancelled) is not marked; its messages go back to the queue. The answers
// are recorded even when the step's time ran out while the provider
// answered: what was sent must be known.
func (s *service) sendAndRecord(ctx context.Context, b *batch, running func() bool) error {
	rctx := context.WithoutCancel(ctx)
	for start := 0; start < len(b.send); start += sendChunk {
		part := b.send[start:min(start+sendChunk, len(b.send))]
		if running() && ctx.Err() == nil {
			if err := s.store.InOrg(ctx, b.campaign.OrgID, func(tx Tx) error { return saveAttempts(ctx, tx, part) }); err != nil {
				return err
			}
			s.deliver(ctx, b.campaign.OrgID, b.settings, part, running)
		}
		if err := s.record(rctx, b.campaign, part); err != nil {
			return err
		}
	}
	return nil
}

// batch is one claim's work.
type batch struct {
	campaign domain.Campaign
	settings domain.Settings
	targets  []domain.Target
	send     []*message
	stopped  bool
}

// claim takes a batch of due targets in one transaction: stop rules,
// attempts under their keys, the gate, every decision recorded, and the
// messages to send.
func (s *service) claim(ctx context.Context, orgID, campaignID string, cache *templateCache) (*batch, error) {
	b := &batch{}
	err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		c, err := tx.Campaigns().Get(ctx, campaignID)
		if err != nil {
			return err
		}
		b.campaign = c
		if c.Status != domain.StatusRunning {
			b.stopped = true
			return nil
		}
		now := s.now()
		targets, err := tx.Engine().ClaimDue(ctx, campaignID, now, now.Add(s.cfg.ClaimLease), s.cfg.BatchSize)
		if err != nil || len(targets) == 0 {
			return err
		}
		b.targets = targets
		if b.settings, err = s.settings(ctx, tx, orgID); err != nil {
			return err
		}
		ms, err := s.messagesFor(ctx, tx, b, cache, now)
		if err != nil {
			return err
		}
		return s.decide(ctx, tx, b, ms, now)
	})
	return b, err
}

// messagesFor applies the stop rules to the claimed targets and returns a
// message (with its attempt, recorded now or found) for each that goes on.
func (s *service) messagesFor(ctx context.Context, tx Tx, b *batch, cache *templateCache, now time.Time) ([]*message, error) {
	c, orgID := b.campaign, b.campaign.OrgID
	ids := make([]string, len(b.targets))
	for i, t := range b.targets {
		ids[i] = t.LeadID
	}
	leads, err := tx.Audience().Leads(ctx, ids)
	if err != nil {
		return nil, err
	}
	replied, err := tx.Engine().Replied(ctx, c.ID, ids)
	if err != nil {
		return nil, err
	}
	var ms []*message
	var pending []domain.Attempt
	for i := range b.targets {
		t := &b.targets[i]
		st := c.Steps[t.NextStep-1]
		lead, known := leads[t.LeadID]
		switch {
		case !known || lead.Archived:
			t.Stop(domain.StopLeadArchived)
			continue
		case st.StopOnReply && replied[t.LeadID]:
			t.Stop(domain.StopReplied)
			continue
		case st.StopOnStageChange && t.Stage != nil && lead.Status != *t.Stage:
			t.Stop(domain.StopStageChanged)
			continue
		}
		addr := t.Email
		if st.Channel == compliance.SMS {
			addr = t.Phone
		}
		step, templateID := st.Step, st.TemplateID
		m := &message{target: t, zoneHint: recipientZone{stored: deref(t.TimeZone), postal: deref(t.PostalCode)}}
		if m.email, m.sms, err = cache.load(ctx, tx, st.Channel, st.TemplateID); err != nil {
			return nil, err
		}
		if m.data, err = s.mergeData(orgID, b.settings, *t, &lead, st.Channel, deref(addr), c.ID); err != nil {
			return nil, err
		}
		contactID := t.ContactID
		m.attempt = domain.Attempt{ID: newID(), OrgID: orgID, MessageKey: domain.CampaignMessageKey(orgID, c.ID, t.LeadID, step, st.Channel),
			CampaignID: &c.ID, Step: &step, LeadID: &t.LeadID, ContactID: &contactID, TemplateID: &templateID, Channel: st.Channel,
			Address: addr, Status: domain.AttemptQueued, QueuedAt: now, UpdatedAt: now}
		ms = append(ms, m)
		pending = append(pending, m.attempt)
	}
	if len(pending) == 0 {
		return nil, nil
	}
	found, err := tx.Attempts().Ensure(ctx, orgID, pending)
	if err != nil {
		return nil, err
	}
	for i, m := range ms {
		m.attempt, m.was = found[i], found[i].Status
	}
	return ms, nil
}

// decide moves each message by its attempt's state: a final one moves its
// target on; one found sending (its step died after the decision) is sent
// again through a provider idempotent by key, or becomes unknown (SMTP:
// at most once); the rest pass the gate. Every decision is saved with the
// targets and the events in tx.
func (s *service) decide(ctx context.Context, tx Tx, b *batch, ms []*message, now time.Time) error {
	var gated, changed []*message
	var evs []Event
	for _, m := range ms {
		switch {
		case m.was.Final():
			m.target.Advance(b.campaign.Steps, m.attempt.SentAt, now)
		case m.was == domain.AttemptSending && !resendable(deref(m.attempt.Provider)):
			m.attempt.Status, m.attempt.Reason, m.attempt.UpdatedAt = domain.AttemptUnknown, ptr(domain.ReasonOutcomeUnknown), now
			m.target.Advance(b.campaign.Steps, nil, now)
			changed = append(changed, m)
		default:
			gated = append(gated, m)
		}
	}
	if err := gate(ctx, tx, b.settings, gated, now); err != nil {
		return err
	}
	for _, m := range gated {
		if m.was == domain.AttemptSending && m.decision.Outcome == compliance.Send {
			// Sent again under its key: its try was counted.
			m.attempt.Tries--
		}
		ev := m.decided(s.providerFor(m.attempt.Channel), now)
		switch m.attempt.Status {
		case domain.AttemptBlocked:
			m.target.Advance(b.campaign.Steps, nil, now)
		case domain.AttemptDeferred:
			m.target.DueAgainAt(*m.attempt.NotBefore)
		case domain.AttemptSending:
			b.send = append(b.send, m)
		}
		if ev != "" {
			evs = append(evs, messageEvent(ev, m.attempt, now))
		}
		changed = append(changed, m)
	}
	// The messages to send are saved queued (their decision made):
	// each is marked sending just before its chunk goes to the provider
	// (sendAndRecord), so a crash leaves at most a chunk in doubt.
	for _, m := range b.send {
		m.attempt.Status = domain.AttemptQueued
	}
	err := saveAttempts(ctx, tx, changed)
	for _, m := range b.send {
		m.attempt.Status = domain.AttemptSending
	}
	if err != nil {
		return err
	}
	if err := tx.Engine().SaveTargets(ctx, b.campaign.ID, b.targets); err != nil {
		return err
	}
	return publish(ctx, tx, b.campaign.OrgID, evs...)
}

// record saves the provider's answers for ms and moves their targets,
// in one transaction.
func (s *service) record(ctx context.Context, c domain.Campaign, ms []*message) error {
	return s.store.InOrg(ctx, c.OrgID, func(tx Tx) error {
		now := s.now()
		var evs []Event
		targets := make([]domain.Target, 0, len(ms))
		for _, m := range ms {
			if ev := m.settle(c.Steps, now); ev != "" {
				evs = append(evs, messageEvent(ev, m.attempt, now))
			}
			targets = append(targets, *m.target)
		}
		if err := saveAttempts(ctx, tx, ms); err != nil {
			return err
		}
		if err := tx.Engine().SaveTargets(ctx, c.ID, targets); err != nil {
			return err
		}
		return publish(ctx, tx, c.OrgID, evs...)
	})
}

// endChain ends the campaign's step chain: completed when no target is
// active (every target of every step has a final state), else asleep
// until its earliest due time.
func (s *service) endChain(ctx context.Context, orgID, campaignID string, run StepRun) error {
	return s.store.InOrg(ctx, orgID, func(tx Tx) error {
		c, err := tx.Campaigns().GetForUpdate(ctx, campaignID)
		if err != nil {
			return err
		}
		if c.Status == domain.StatusRunning {
			prog, err := tx.Engine().Progress(ctx, campaignID)
			if err != nil {
				return err
			}
			now := s.now()
			if prog.Active == 0 && c.Complete(now) {
				c.NextWakeAt = nil
				if err := tx.Campaigns().Update(ctx, c); err != nil {
					return err
				}
				if err := publish(ctx, tx, orgID, campaignEvent(EventCampaignCompleted, c)); err != nil {
					return err
				}
			} else {
				c.NextWakeAt = prog.NextDue
				if err := tx.Campaigns().Update(ctx, c); err != nil {
					return err
				}
			}
		}
		return run.Complete(ctx, tx)
	})
}

func saveAttempts(ctx context.Context, tx Tx, ms []*message) error {
	if len(ms) == 0 {
		return nil
	}
	as := make([]domain.Attempt, len(ms))
	for i, m := range ms {
		as[i] = m.attempt
	}
	return tx.Attempts().Save(ctx, as)
}

// providerFor names the provider of a channel.
func (s *service) providerFor(ch compliance.Channel) string {
	if ch == compliance.SMS {
		return s.sms.Name()
	}
	return s.email.Name()
}
