package app

import (
	"context"
	"errors"
	"fmt"

	"reos.dev/pkg/apperr"
	"reos.dev/services/identity/internal/domain"
)

// Demo data, fixed so that every machine seeds the same ids and other
// services' seeds can refer to them.
const (
	DemoOrgID    = "01900000-0000-7000-8000-000000000001"
	DemoOrgName  = "Demo Realty"
	DemoPassword = "demo-password"
)

// DemoUser is one seeded account.
type DemoUser struct {
	ID, Email, FullName, Role string
}

// DemoUsers are the seeded accounts, one per system role.
var DemoUsers = []DemoUser{
	{"01900000-0000-7000-8000-000000000201", "admin@demo.reos.test", "Avery Admin", domain.RoleAdmin},
	{"01900000-0000-7000-8000-000000000202", "sales@demo.reos.test", "Sam Sales", domain.RoleSales},
	{"01900000-0000-7000-8000-000000000203", "agent@demo.reos.test", "Alex Agent", domain.RoleAgent},
	{"01900000-0000-7000-8000-000000000204", "viewer@demo.reos.test", "Vic Viewer", domain.RoleViewer},
}

// demoRoleIDs are the ids of the demo organisation's system roles, in the
// order domain.SystemRoles returns them.
var demoRoleIDs = []string{
	"01900000-0000-7000-8000-000000000101",
	"01900000-0000-7000-8000-000000000102",
	"01900000-0000-7000-8000-000000000103",
	"01900000-0000-7000-8000-000000000104",
}

// SeedReport lists what a seed did, one line per action or skip.
type SeedReport struct {
	Lines   []string
	Changed bool
}

func (r *SeedReport) add(changed bool, format string, args ...any) {
	r.Lines = append(r.Lines, fmt.Sprintf(format, args...))
	r.Changed = r.Changed || changed
}

func (s *service) SeedDemo(ctx context.Context) (SeedReport, error) {
	var rep SeedReport
	if s.cfg.Mode != ModeMock {
		return rep, apperr.Forbidden(domain.ReasonModeForbidden, "the demo seed runs only with MODE=mock")
	}
	now := s.now()
	// An email taken by an account outside the demo organisation cannot be
	// seeded; say so rather than half-seed.
	for _, du := range DemoUsers {
		rec, found, err := s.store.LookupLogin(ctx, du.Email)
		if err != nil {
			return rep, err
		}
		if found && (rec.OrgID != DemoOrgID || rec.UserID != du.ID) {
			return rep, fmt.Errorf("seed: %s already belongs to another account (user %s, org %s)", du.Email, rec.UserID, rec.OrgID)
		}
	}
	hash, err := s.hasher.Hash(DemoPassword)
	if err != nil {
		return rep, err
	}
	err = s.store.InOrg(ctx, DemoOrgID, func(tx Tx) error {
		_, err := tx.Orgs().Get(ctx, DemoOrgID)
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			org, err := domain.NewOrganization(DemoOrgID, DemoOrgName, now)
			if err != nil {
				return err
			}
			if err := tx.Orgs().Create(ctx, org); err != nil {
				return err
			}
			i := 0
			ids := func() string { i++; return demoRoleIDs[i-1] }
			for _, r := range domain.SystemRoles(DemoOrgID, now, ids) {
				if err := tx.Roles().Create(ctx, r); err != nil {
					return err
				}
			}
			rep.add(true, "created organization %q (%s) with roles admin, sales, agent, viewer", DemoOrgName, DemoOrgID)
		case err != nil:
			return err
		default:
			rep.add(false, "organization %q (%s) already exists", DemoOrgName, DemoOrgID)
		}
		for _, du := range DemoUsers {
			if _, err := tx.Users().Get(ctx, du.ID); err == nil {
				rep.add(false, "user %s already exists", du.Email)
				continue
			} else if !errors.Is(err, apperr.ErrNotFound) {
				return err
			}
			u, err := domain.NewUser(du.ID, DemoOrgID, domain.NewUserInput{Email: du.Email, FullName: du.FullName, PasswordHash: hash}, now)
			if err != nil {
				return err
			}
			roles, err := s.rolesByNames(ctx, tx, []string{du.Role})
			if err != nil {
				return err
			}
			if err := tx.Users().Create(ctx, u); err != nil {
				return err
			}
			if err := tx.Users().SetRoles(ctx, u.ID, roleIDs(roles), now); err != nil {
				return err
			}
			if err := tx.Events().Publish(ctx, EventUserRegistered, u.ID, u.OrgID, userEventData{
				UserID: u.ID, OrgID: u.OrgID, Email: u.Email, FullName: u.FullName, Roles: []string{du.Role}, Via: "seed",
			}); err != nil {
				return err
			}
			rep.add(true, "created user %s (role %s)", du.Email, du.Role)
		}
		return nil
	})
	return rep, err
}
