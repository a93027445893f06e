package app

import (
	"context"

	"reos.dev/pkg/auth"
	"reos.dev/services/crm/internal/domain"
)

// ListSources returns the organisation's lead sources, creating the
// defaults on first use.
func (s *service) ListSources(ctx context.Context) ([]domain.LeadSource, error) {
	p, err := auth.CallerWith(ctx, PermLeadsRead)
	if err != nil {
		return nil, err
	}
	var out []domain.LeadSource
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if err := tx.Catalog().EnsureDefaults(ctx, p.OrgID, s.now()); err != nil {
			return err
		}
		out, err = tx.Catalog().Sources(ctx)
		return err
	})
	return out, err
}

// CreateSource adds a lead source; its key is unique in the organisation.
func (s *service) CreateSource(ctx context.Context, in domain.LeadSource) (domain.LeadSource, error) {
	p, err := auth.CallerWith(ctx, PermLeadsWrite)
	if err != nil {
		return domain.LeadSource{}, err
	}
	var f domain.FieldErrors
	in.Validate(&f)
	if err := f.Err(); err != nil {
		return domain.LeadSource{}, err
	}
	in.ID = newID()
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		now := s.now()
		if err := tx.Catalog().EnsureDefaults(ctx, p.OrgID, now); err != nil {
			return err
		}
		return tx.Catalog().CreateSource(ctx, p.OrgID, in, now)
	})
	return in, err
}

// ListStages returns the organisation's pipeline in order, creating the
// default stages on first use.
func (s *service) ListStages(ctx context.Context) ([]domain.Stage, error) {
	p, err := auth.CallerWith(ctx, PermDealsRead)
	if err != nil {
		return nil, err
	}
	var out []domain.Stage
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if err := tx.Catalog().EnsureDefaults(ctx, p.OrgID, s.now()); err != nil {
			return err
		}
		out, err = tx.Catalog().Stages(ctx)
		return err
	})
	return out, err
}

// CreateStage adds a stage to the pipeline; key and position are unique.
func (s *service) CreateStage(ctx context.Context, in domain.Stage) (domain.Stage, error) {
	p, err := auth.CallerWith(ctx, PermDealsWrite)
	if err != nil {
		return domain.Stage{}, err
	}
	if in.Kind == "" {
		in.Kind = domain.KindOpen
	}
	var f domain.FieldErrors
	in.Validate(&f)
	if err := f.Err(); err != nil {
		return domain.Stage{}, err
	}
	in.ID = newID()
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		now := s.now()
		if err := tx.Catalog().EnsureDefaults(ctx, p.OrgID, now); err != nil {
			return err
		}
		return tx.Catalog().CreateStage(ctx, p.OrgID, in, now)
	})
	return in, err
}
