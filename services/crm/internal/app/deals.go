package app

import (
	"context"

	"reos.dev/pkg/auth"
	"reos.dev/services/crm/internal/domain"
)

// DealInput creates a deal for a lead. StageID or Stage (the key) picks an
// open starting stage; the first open stage by default.
type DealInput struct {
	LeadID            string
	Title             string
	ValueCents        *int64
	Currency          string
	StageID, Stage    *string
	PropertyID        *string
	AssigneeID        *string
	ExpectedCloseDate *string
}

// DealUpdate changes the fields that are Set. The stage changes only
// through MoveDeal, where the pipeline rules apply.
type DealUpdate struct {
	Title             domain.Optional[string]
	ValueCents        domain.Optional[int64]
	Currency          domain.Optional[string]
	PropertyID        domain.Optional[string]
	AssigneeID        domain.Optional[string]
	ExpectedCloseDate domain.Optional[string]
}

// StageMove names the target stage by id or key.
type StageMove struct {
	StageID, Stage *string
}

func (s *service) CreateDeal(ctx context.Context, in DealInput) (domain.Deal, error) {
	p, err := auth.CallerWith(ctx, PermDealsWrite)
	if err != nil {
		return domain.Deal{}, err
	}
	now := s.now()
	d := domain.Deal{ID: newID(), Title: in.Title, Currency: in.Currency, ExpectedCloseDate: in.ExpectedCloseDate, CreatedAt: now, UpdatedAt: now}
	if d.Currency == "" {
		d.Currency = "USD"
	}
	var f domain.FieldErrors
	if in.ValueCents == nil {
		f.Add("value_cents", "is required (integer cents)")
	} else {
		d.ValueCents = *in.ValueCents
	}
	d.Validate(&f)
	if lead := domain.CheckUUID("lead_id", &in.LeadID, &f); lead != nil {
		d.LeadID = *lead
	}
	d.PropertyID = domain.CheckUUID("property_id", in.PropertyID, &f)
	d.AssigneeID = domain.CheckUUID("assignee_id", in.AssigneeID, &f)
	if err := f.Err(); err != nil {
		return domain.Deal{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if err := tx.Catalog().EnsureDefaults(ctx, p.OrgID, now); err != nil {
			return err
		}
		if _, err := visibleLead(ctx, tx, p, d.LeadID, false); err != nil {
			return asFieldNotFound(err, "lead_id", "no such lead")
		}
		if err := checkAssignee(ctx, tx, "assignee_id", d.AssigneeID); err != nil {
			return err
		}
		if d.PropertyID != nil {
			if err := checkKnownProperties(ctx, tx, "property_id", []string{*d.PropertyID}); err != nil {
				return err
			}
		}
		pipeline, err := tx.Catalog().Stages(ctx)
		if err != nil {
			return err
		}
		stage, err := domain.StartStage(pipeline, in.StageID, in.Stage)
		if err != nil {
			return err
		}
		d.StageID = stage.ID
		if err := tx.Deals().Create(ctx, p.OrgID, d); err != nil {
			return err
		}
		if err := tx.Deals().RecordStageChange(ctx, p.OrgID, StageChange{ID: newID(), DealID: d.ID, ToStage: stage.ID, ChangedBy: actorID(p), ChangedAt: now}); err != nil {
			return err
		}
		return s.emit(ctx, tx, p, EventDealCreated, d.ID, dealEvent(d, stage))
	})
	return d, err
}

func (s *service) GetDeal(ctx context.Context, id string) (domain.Deal, error) {
	p, err := requireOn(ctx, PermDealsRead, id, domain.ReasonDealNotFound, "deal")
	if err != nil {
		return domain.Deal{}, err
	}
	var d domain.Deal
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		d, err = visibleDeal(ctx, tx, p, id, false)
		return err
	})
	return d, err
}

// visibleDeal loads a deal the caller may see (forUpdate locks it): for a
// scoped caller one assigned to it or whose lead it sees. Any other deal is
// not found, exactly like another organisation's.
func visibleDeal(ctx context.Context, tx Tx, p auth.Principal, id string, forUpdate bool) (domain.Deal, error) {
	scope, err := leadScope(ctx, tx, p)
	if err != nil {
		return domain.Deal{}, err
	}
	if forUpdate {
		return tx.Deals().GetForUpdate(ctx, id, scope)
	}
	return tx.Deals().Get(ctx, id, scope)
}

func (s *service) UpdateDeal(ctx context.Context, id string, in DealUpdate) (domain.Deal, error) {
	p, err := requireOn(ctx, PermDealsWrite, id, domain.ReasonDealNotFound, "deal")
	if err != nil {
		return domain.Deal{}, err
	}
	var f domain.FieldErrors
	if in.Title.Set && in.Title.Value == nil {
		f.Add("title", "must not be null")
	}
	if in.ValueCents.Set && in.ValueCents.Value == nil {
		f.Add("value_cents", "must not be null")
	}
	if in.Currency.Set && in.Currency.Value == nil {
		f.Add("currency", "must not be null")
	}
	propertyID := domain.CheckUUID("property_id", in.PropertyID.Value, &f)
	assignee := domain.CheckUUID("assignee_id", in.AssigneeID.Value, &f)
	if err := f.Err(); err != nil {
		return domain.Deal{}, err
	}
	var d domain.Deal
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if d, err = visibleDeal(ctx, tx, p, id, true); err != nil {
			return err
		}
		before := d
		if in.Title.Set {
			d.Title = *in.Title.Value
		}
		if in.ValueCents.Set {
			d.ValueCents = *in.ValueCents.Value
		}
		if in.Currency.Set {
			d.Currency = *in.Currency.Value
		}
		if in.PropertyID.Set {
			d.PropertyID = propertyID
			// As on a lead, only a new property is checked: one archived
			// since it was put on the deal stays and may be sent back.
			if propertyID != nil && !domain.EqualPtr(before.PropertyID, propertyID) {
				if err := checkKnownProperties(ctx, tx, "property_id", []string{*propertyID}); err != nil {
					return err
				}
			}
		}
		if in.AssigneeID.Set {
			d.AssigneeID = assignee
			if !domain.EqualPtr(before.AssigneeID, assignee) {
				if err := checkAssignee(ctx, tx, "assignee_id", assignee); err != nil {
					return err
				}
			}
		}
		if in.ExpectedCloseDate.Set {
			d.ExpectedCloseDate = in.ExpectedCloseDate.Value
		}
		var vf domain.FieldErrors
		d.Validate(&vf)
		if err := vf.Err(); err != nil {
			return err
		}
		changes := domain.DiffDeal(before, d)
		if len(changes) == 0 {
			return nil // nothing changed: no write, no timeline entry, no event
		}
		d.UpdatedAt = s.now()
		if err := tx.Deals().Update(ctx, d); err != nil {
			return err
		}
		for _, c := range changes {
			if err := tx.Deals().RecordChange(ctx, p.OrgID, DealFieldChange{ID: newID(), DealID: d.ID, DealChange: c,
				ActorID: actorID(p), ChangedAt: d.UpdatedAt}); err != nil {
				return err
			}
		}
		pipeline, err := tx.Catalog().Stages(ctx)
		if err != nil {
			return err
		}
		return s.emit(ctx, tx, p, EventDealUpdated, d.ID, dealEvent(d, domain.StageIn(pipeline, d.StageID)))
	})
	return d, err
}

func (s *service) MoveDeal(ctx context.Context, id string, in StageMove) (domain.Deal, error) {
	p, err := requireOn(ctx, PermDealsWrite, id, domain.ReasonDealNotFound, "deal")
	if err != nil {
		return domain.Deal{}, err
	}
	now := s.now()
	var d domain.Deal
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if d, err = visibleDeal(ctx, tx, p, id, true); err != nil {
			return err
		}
		pipeline, err := tx.Catalog().Stages(ctx)
		if err != nil {
			return err
		}
		to, err := domain.PickStage(pipeline, in.StageID, in.Stage)
		if err != nil {
			return err
		}
		from, err := d.MoveTo(pipeline, to, p.Can(PermAdmin), now)
		if err != nil {
			return err
		}
		if err := tx.Deals().Update(ctx, d); err != nil {
			return err
		}
		if err := tx.Deals().RecordStageChange(ctx, p.OrgID, StageChange{ID: newID(), DealID: d.ID, FromStage: &from.ID, ToStage: to.ID, ChangedBy: actorID(p), ChangedAt: now}); err != nil {
			return err
		}
		data := stageChangedEvent{DealID: d.ID, LeadID: d.LeadID, FromStage: from.Key, ToStage: to.Key, ChangedBy: actorID(p), ValueCents: d.ValueCents, Currency: d.Currency}
		if err := s.emit(ctx, tx, p, EventDealStageChanged, d.ID, data); err != nil {
			return err
		}
		switch to.Kind {
		case domain.KindWon:
			return s.emit(ctx, tx, p, EventDealWon, d.ID, data)
		case domain.KindLost:
			return s.emit(ctx, tx, p, EventDealLost, d.ID, data)
		}
		return nil
	})
	return d, err
}

func (s *service) ListDeals(ctx context.Context, f DealFilter) (Page[domain.Deal], error) {
	p, err := auth.CallerWith(ctx, PermDealsRead)
	if err != nil {
		return Page[domain.Deal]{}, err
	}
	var fe domain.FieldErrors
	q := DealQuery{Page: f.Page}
	for _, it := range []struct {
		name string
		in   string
		out  *string
	}{{"stage_id", f.StageID, &q.StageID}, {"lead_id", f.LeadID, &q.LeadID}, {"assignee_id", f.AssigneeID, &q.AssigneeID}} {
		if it.in != "" {
			if v := domain.CheckUUID(it.name, &it.in, &fe); v != nil {
				*it.out = *v
			}
		}
	}
	if err := fe.Err(); err != nil {
		return Page[domain.Deal]{}, err
	}
	if q.Sort, err = parseSort(f.Sort, dealSorts); err != nil {
		return Page[domain.Deal]{}, err
	}
	var page Page[domain.Deal]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if q.VisibleTo, err = leadScope(ctx, tx, p); err != nil {
			return err
		}
		page, err = tx.Deals().List(ctx, q)
		return err
	})
	return page, err
}

func (s *service) DealTimeline(ctx context.Context, id string, pr PageRequest) (Page[TimelineItem], error) {
	return s.timeline(ctx, PermDealsRead, id, domain.ReasonDealNotFound, "deal", pr, func(tx Tx, p auth.Principal) (Page[TimelineItem], error) {
		if _, err := visibleDeal(ctx, tx, p, id, false); err != nil {
			return Page[TimelineItem]{}, err
		}
		return tx.Deals().Timeline(ctx, id, pr)
	})
}
