package app

import (
	"context"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/identity/internal/domain"
)

func notMember() error {
	return apperr.NotFound(domain.ReasonNotMember, "the user is not a member of this team")
}

func (s *service) ListRoles(ctx context.Context, q PageQuery) (Page[domain.Role], error) {
	p, err := auth.CallerWith(ctx, domain.PermRolesRead)
	if err != nil {
		return Page[domain.Role]{}, err
	}
	var page Page[domain.Role]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		page.Items, page.Next, err = tx.Roles().List(ctx, q)
		return err
	})
	return page, err
}

func (s *service) CreateRole(ctx context.Context, in domain.RoleInput) (domain.Role, error) {
	p, err := auth.CallerWith(ctx, domain.PermRolesWrite)
	if err != nil {
		return domain.Role{}, err
	}
	r, err := domain.NewRole(newID(), p.OrgID, in, s.now())
	if err != nil {
		return domain.Role{}, err
	}
	if err := domain.CheckCanGrant(p.Perms, r.Permissions); err != nil {
		return domain.Role{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return tx.Roles().Create(ctx, r) })
	if err != nil {
		return domain.Role{}, err
	}
	return r, nil
}

func (s *service) GetRole(ctx context.Context, id string) (domain.Role, error) {
	p, err := auth.CallerWith(ctx, domain.PermRolesRead)
	if err != nil {
		return domain.Role{}, err
	}
	if err := parseID("id", id); err != nil {
		return domain.Role{}, err
	}
	var r domain.Role
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		r, err = tx.Roles().Get(ctx, id)
		return err
	})
	return r, err
}

func (s *service) UpdateRole(ctx context.Context, id string, in domain.RoleInput) (domain.Role, error) {
	p, err := auth.CallerWith(ctx, domain.PermRolesWrite)
	if err != nil {
		return domain.Role{}, err
	}
	if err := parseID("id", id); err != nil {
		return domain.Role{}, err
	}
	now := s.now()
	var r domain.Role
	ended := endedSessions{at: now}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		// Narrowing a role demotes its holders: serialised with the other
		// changes that must keep an admin.
		if err := tx.Orgs().Lock(ctx, p.OrgID); err != nil {
			return err
		}
		if r, err = tx.Roles().GetForUpdate(ctx, id); err != nil {
			return err
		}
		// Editing a role acts on everyone holding it: the caller must hold
		// what the role grants now as well as what it will grant.
		held := r.Permissions
		if err := domain.CheckCanActOn(p.Perms, held); err != nil {
			return err
		}
		if err := r.Update(in, now); err != nil {
			return err
		}
		if err := domain.CheckCanGrant(p.Perms, r.Permissions); err != nil {
			return err
		}
		if err := tx.Roles().Update(ctx, r); err != nil {
			return err
		}
		if !domain.HoldsEverything(r.Permissions) {
			if err := s.checkAdminRemains(ctx, tx, held); err != nil {
				return err
			}
		}
		// A role that lost a permission ends its holders' sessions, whose
		// tokens still carry it; a role that only gained some needs not.
		if domain.CheckCanGrant(r.Permissions, held) == nil {
			return nil
		}
		holders, err := tx.Tokens().RevokeRoleHolders(ctx, r.ID, now, domain.RevokeRoleNarrowed)
		if err != nil {
			return err
		}
		for _, h := range holders {
			if err := s.end(ctx, tx, &ended, r.OrgID, h.UserID, p.UserID, domain.RevokeRoleNarrowed, h.Sessions); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	s.announce(ctx, ended)
	return r, nil
}

func (s *service) DeleteRole(ctx context.Context, id string) error {
	p, err := auth.CallerWith(ctx, domain.PermRolesWrite)
	if err != nil {
		return err
	}
	if err := parseID("id", id); err != nil {
		return err
	}
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		r, err := tx.Roles().GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := r.CheckDeletable(); err != nil {
			return err
		}
		n, err := tx.Roles().CountUsers(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return apperr.Conflict(domain.ReasonRoleInUse, "the role is assigned to users; reassign them first")
		}
		return tx.Roles().Delete(ctx, id)
	})
}

func (s *service) Permissions(ctx context.Context) ([]domain.Permission, error) {
	if _, err := auth.CallerWith(ctx, domain.PermRolesRead); err != nil {
		return nil, err
	}
	return domain.Catalogue(), nil
}
