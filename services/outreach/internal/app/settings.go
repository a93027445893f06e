package app

import (
	"context"

	"reos.dev/pkg/auth"
	"reos.dev/services/outreach/internal/domain"
)

// GetSettings returns the caller's organisation's sending settings (the
// defaults before an admin saved any).
func (s *service) GetSettings(ctx context.Context) (domain.Settings, error) {
	p, err := auth.CallerWith(ctx, PermCampaignsRead)
	if err != nil {
		return domain.Settings{}, err
	}
	var out domain.Settings
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		out, err = s.settings(ctx, tx, p.OrgID)
		return err
	})
	return out, err
}

// UpdateSettings replaces the settings (admins only).
func (s *service) UpdateSettings(ctx context.Context, in domain.SettingsInput) (domain.Settings, error) {
	p, err := auth.CallerWith(ctx, PermAdmin)
	if err != nil {
		return domain.Settings{}, err
	}
	st, err := domain.NewSettings(p.OrgID, in, actorID(p), s.now())
	if err != nil {
		return domain.Settings{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return tx.Settings().Save(ctx, st) })
	return st, err
}

// settings reads the organisation's settings in tx, or its defaults.
func (s *service) settings(ctx context.Context, tx Tx, orgID string) (domain.Settings, error) {
	st, found, err := tx.Settings().Get(ctx)
	if err != nil || found {
		return st, err
	}
	return domain.DefaultSettings(orgID, s.cfg.DefaultTimeZone), nil
}
