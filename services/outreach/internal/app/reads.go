package app

import (
	"context"

	"reos.dev/pkg/auth"
	"reos.dev/services/outreach/internal/domain"
)

// CampaignMetrics is a campaign's progress and its messages by outcome,
// in total and per step.
type CampaignMetrics struct {
	Campaign domain.Campaign
	Progress TargetProgress
	Totals   StepCounts
	Steps    []StepCounts
	// Unsubscribed counts the opt-outs from the campaign's messages.
	Unsubscribed int
}

// CampaignMetrics reads the campaign's metrics (permission campaigns:read).
func (s *service) CampaignMetrics(ctx context.Context, id string) (CampaignMetrics, error) {
	p, err := requireOn(ctx, PermCampaignsRead, id, domain.ReasonCampaignNotFound, "campaign")
	if err != nil {
		return CampaignMetrics{}, err
	}
	var out CampaignMetrics
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if out.Campaign, err = tx.Campaigns().Get(ctx, id); err != nil {
			return err
		}
		if out.Progress, err = tx.Engine().Progress(ctx, id); err != nil {
			return err
		}
		if out.Steps, err = tx.Attempts().Metrics(ctx, id); err != nil {
			return err
		}
		out.Unsubscribed, err = tx.Attempts().Unsubscribed(ctx, id)
		return err
	})
	out.Totals = sumCounts(out.Steps)
	return out, err
}

func sumCounts(steps []StepCounts) StepCounts {
	t := StepCounts{BlockedBy: map[string]int{}, DeferredBy: map[string]int{}}
	for _, c := range steps {
		t.Queued, t.Sending, t.Sent, t.Delivered = t.Queued+c.Queued, t.Sending+c.Sending, t.Sent+c.Sent, t.Delivered+c.Delivered
		t.BouncedHard, t.BouncedSoft, t.Complained = t.BouncedHard+c.BouncedHard, t.BouncedSoft+c.BouncedSoft, t.Complained+c.Complained
		t.Opened, t.Clicked, t.Replied = t.Opened+c.Opened, t.Clicked+c.Clicked, t.Replied+c.Replied
		t.Blocked, t.Deferred, t.Failed, t.Unknown = t.Blocked+c.Blocked, t.Deferred+c.Deferred, t.Failed+c.Failed, t.Unknown+c.Unknown
		for k, v := range c.BlockedBy {
			t.BlockedBy[k] += v
		}
		for k, v := range c.DeferredBy {
			t.DeferredBy[k] += v
		}
	}
	return t
}

// CampaignDeliverability reads a campaign's deliverability by recipient
// domain and provider; Deliverability the organisation's.
func (s *service) CampaignDeliverability(ctx context.Context, id string) ([]DeliverabilityRow, error) {
	p, err := requireOn(ctx, PermCampaignsRead, id, domain.ReasonCampaignNotFound, "campaign")
	if err != nil {
		return nil, err
	}
	var out []DeliverabilityRow
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := tx.Campaigns().Get(ctx, id); err != nil {
			return err
		}
		out, err = tx.Deliverability().Report(ctx, id)
		return err
	})
	return out, err
}

func (s *service) Deliverability(ctx context.Context) ([]DeliverabilityRow, error) {
	p, err := auth.CallerWith(ctx, PermCampaignsRead)
	if err != nil {
		return nil, err
	}
	var out []DeliverabilityRow
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		out, err = tx.Deliverability().Report(ctx, "")
		return err
	})
	return out, err
}

// ListAttempts lists the organisation's attempts (of one campaign when
// q.CampaignID is set, which must be the organisation's), newest first.
func (s *service) ListAttempts(ctx context.Context, q AttemptQuery) (Page[domain.Attempt], error) {
	p, err := auth.CallerWith(ctx, PermCampaignsRead)
	if err != nil {
		return Page[domain.Attempt]{}, err
	}
	var out Page[domain.Attempt]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if q.CampaignID != "" {
			if _, err := tx.Campaigns().Get(ctx, q.CampaignID); err != nil {
				return err
			}
		}
		out, err = tx.Attempts().List(ctx, q)
		return err
	})
	return out, err
}

func (s *service) GetAttempt(ctx context.Context, id string) (domain.Attempt, error) {
	p, err := requireOn(ctx, PermCampaignsRead, id, domain.ReasonAttemptNotFound, "attempt")
	if err != nil {
		return domain.Attempt{}, err
	}
	var out domain.Attempt
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		out, err = tx.Attempts().Get(ctx, id)
		return err
	})
	return out, err
}
