package app

import (
	"context"
	"slices"
	"strconv"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

// TargetsInput chooses a campaign's audience: explicit lead ids or a
// saved filter, exactly one.
type TargetsInput struct {
	LeadIDs []string
	Filter  *domain.LeadFilter
}

// TargetsResult is the audience chosen: its kind, the filter, and how many
// leads it names now (the filter is evaluated again, and frozen, at launch).
type TargetsResult struct {
	Audience string
	Filter   *domain.LeadFilter
	Leads    int
}

func (s *service) CreateCampaign(ctx context.Context, in domain.CampaignInput) (domain.Campaign, error) {
	p, err := auth.CallerWith(ctx, PermCampaignsWrite)
	if err != nil {
		return domain.Campaign{}, err
	}
	c, err := domain.NewCampaign(newID(), p.OrgID, actorID(p), in, s.now())
	if err != nil {
		return domain.Campaign{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if err := checkStepTemplates(ctx, tx, c.Steps); err != nil {
			return err
		}
		if err := tx.Campaigns().Create(ctx, c); err != nil {
			return err
		}
		if c.Status == domain.StatusScheduled {
			return publish(ctx, tx, p.OrgID, campaignEvent(EventCampaignScheduled, c))
		}
		return nil
	})
	return c, err
}

func (s *service) GetCampaign(ctx context.Context, id string) (domain.Campaign, error) {
	p, err := requireOn(ctx, PermCampaignsRead, id, domain.ReasonCampaignNotFound, "campaign")
	if err != nil {
		return domain.Campaign{}, err
	}
	var c domain.Campaign
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		c, err = tx.Campaigns().Get(ctx, id)
		return err
	})
	return c, err
}

// UpdateCampaign replaces a campaign that has not been launched; a new or
// moved start announces campaign.scheduled.
func (s *service) UpdateCampaign(ctx context.Context, id string, in domain.CampaignInput) (domain.Campaign, error) {
	p, err := requireOn(ctx, PermCampaignsWrite, id, domain.ReasonCampaignNotFound, "campaign")
	if err != nil {
		return domain.Campaign{}, err
	}
	var c domain.Campaign
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if c, err = tx.Campaigns().GetForUpdate(ctx, id); err != nil {
			return err
		}
		before := c
		if err := c.Replace(in, s.now()); err != nil {
			return err
		}
		if err := checkStepTemplates(ctx, tx, c.Steps); err != nil {
			return err
		}
		if err := tx.Campaigns().Update(ctx, c); err != nil {
			return err
		}
		if c.Status == domain.StatusScheduled && (before.Status != domain.StatusScheduled || !before.ScheduledAt.Equal(*c.ScheduledAt)) {
			return publish(ctx, tx, p.OrgID, campaignEvent(EventCampaignScheduled, c))
		}
		return nil
	})
	return c, err
}

// CancelCampaign is DELETE /campaigns/{id}: the campaign is cancelled
// (kept, with its attempts), never removed. Cancelling stops a running
// campaign too, so it needs campaigns:launch as pausing does.
func (s *service) CancelCampaign(ctx context.Context, id string) (domain.Campaign, error) {
	p, err := requireOn(ctx, PermCampaignsLaunch, id, domain.ReasonCampaignNotFound, "campaign")
	if err != nil {
		return domain.Campaign{}, err
	}
	var c domain.Campaign
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if c, err = tx.Campaigns().GetForUpdate(ctx, id); err != nil {
			return err
		}
		if err := c.Cancel(s.now()); err != nil {
			return err
		}
		if err := tx.Campaigns().Update(ctx, c); err != nil {
			return err
		}
		return publish(ctx, tx, p.OrgID, campaignEvent(EventCampaignCancelled, c))
	})
	return c, err
}

func (s *service) ListCampaigns(ctx context.Context, q CampaignQuery) (Page[domain.Campaign], error) {
	p, err := auth.CallerWith(ctx, PermCampaignsRead)
	if err != nil {
		return Page[domain.Campaign]{}, err
	}
	var out Page[domain.Campaign]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		out, err = tx.Campaigns().List(ctx, q)
		return err
	})
	return out, err
}

// SetCampaignTargets chooses the campaign's audience before launch:
// explicit leads, each of which must be an active lead of the caller's
// organisation in the audience read model (another organisation's lead is
// unknown here: 422 naming its index), or a saved filter.
func (s *service) SetCampaignTargets(ctx context.Context, id string, in TargetsInput) (TargetsResult, error) {
	p, err := requireOn(ctx, PermCampaignsWrite, id, domain.ReasonCampaignNotFound, "campaign")
	if err != nil {
		return TargetsResult{}, err
	}
	ids, filter, err := checkTargetsInput(in)
	if err != nil {
		return TargetsResult{}, err
	}
	var out TargetsResult
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		c, err := tx.Campaigns().GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		kind := domain.AudienceLeads
		if filter != nil {
			kind = domain.AudienceFilter
		}
		if err := c.SetAudience(kind, filter, s.now()); err != nil {
			return err
		}
		if filter != nil {
			ids = nil
			if out.Leads, err = tx.Audience().CountMatching(ctx, *filter); err != nil {
				return err
			}
		} else {
			if err := checkKnownLeads(ctx, tx, ids); err != nil {
				return err
			}
			out.Leads = len(ids)
		}
		if err := tx.Campaigns().SetAudienceLeads(ctx, id, ids); err != nil {
			return err
		}
		out.Audience, out.Filter = kind, filter
		return tx.Campaigns().Update(ctx, c)
	})
	return out, err
}

// checkTargetsInput validates the shape: exactly one of lead_ids and
// filter; ids are UUIDs (kept in order, repeats dropped), at most
// domain.MaxExplicitLeads.
func checkTargetsInput(in TargetsInput) ([]string, *domain.LeadFilter, error) {
	switch {
	case (in.LeadIDs == nil) == (in.Filter == nil):
		return nil, nil, apperr.Invalid("lead_ids", "give exactly one of lead_ids and filter")
	case in.Filter != nil:
		f, err := in.Filter.Validate("filter")
		return nil, &f, err
	case len(in.LeadIDs) == 0:
		return nil, nil, apperr.Invalid("lead_ids", "must name at least one lead")
	case len(in.LeadIDs) > domain.MaxExplicitLeads:
		return nil, nil, apperr.Invalid("lead_ids", "must name at most "+strconv.Itoa(domain.MaxExplicitLeads)+" leads; use a filter")
	}
	var f domain.FieldErrors
	ids := make([]string, 0, len(in.LeadIDs))
	for i, id := range in.LeadIDs {
		switch {
		case !domain.ValidID(id):
			f.Add("lead_ids["+strconv.Itoa(i)+"]", "must be a lead id (UUID)")
		case !slices.Contains(ids, id):
			ids = append(ids, id)
		}
	}
	return ids, nil, f.Err()
}

// checkKnownLeads refuses ids the read model does not know as active leads
// of the organisation, naming the index of each.
func checkKnownLeads(ctx context.Context, tx Tx, ids []string) error {
	known, err := tx.Audience().Leads(ctx, ids)
	if err != nil {
		return err
	}
	var f domain.FieldErrors
	for i, id := range ids {
		l, ok := known[id]
		switch {
		case !ok:
			f.Add("lead_ids["+strconv.Itoa(i)+"]", "unknown lead "+id)
		case l.Archived:
			f.Add("lead_ids["+strconv.Itoa(i)+"]", "lead "+id+" is archived")
		}
	}
	return f.Err()
}

// checkStepTemplates refuses a step whose template is not one of the
// organisation's templates of the step's channel.
func checkStepTemplates(ctx context.Context, tx Tx, steps []domain.Step) error {
	byChannel := map[compliance.Channel][]string{}
	for _, st := range steps {
		byChannel[st.Channel] = append(byChannel[st.Channel], st.TemplateID)
	}
	known := map[compliance.Channel]map[string]bool{}
	for ch, ids := range byChannel {
		k, err := tx.Templates().Exist(ctx, ch, ids)
		if err != nil {
			return err
		}
		known[ch] = k
	}
	var f domain.FieldErrors
	for i, st := range steps {
		if !known[st.Channel][st.TemplateID] {
			f.Add("steps["+strconv.Itoa(i)+"].template_id", "unknown "+string(st.Channel)+" template "+st.TemplateID)
		}
	}
	return f.Err()
}
