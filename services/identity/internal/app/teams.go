package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/identity/internal/domain"
)

func (s *service) ListTeams(ctx context.Context, q PageQuery) (Page[domain.Team], error) {
	p, err := auth.CallerWith(ctx, domain.PermTeamsRead)
	if err != nil {
		return Page[domain.Team]{}, err
	}
	var page Page[domain.Team]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		page.Items, page.Next, err = tx.Teams().List(ctx, q)
		return err
	})
	return page, err
}

func (s *service) CreateTeam(ctx context.Context, in domain.TeamInput) (TeamDetail, error) {
	p, err := auth.CallerWith(ctx, domain.PermTeamsWrite)
	if err != nil {
		return TeamDetail{}, err
	}
	t, err := domain.NewTeam(newID(), p.OrgID, in, s.now())
	if err != nil {
		return TeamDetail{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return tx.Teams().Create(ctx, t) })
	if err != nil {
		return TeamDetail{}, err
	}
	return TeamDetail{Team: t, Members: []domain.TeamMember{}}, nil
}

// teamDetail reads a team and its members inside tx.
func teamDetail(ctx context.Context, tx Tx, id string) (TeamDetail, error) {
	t, err := tx.Teams().Get(ctx, id)
	if err != nil {
		return TeamDetail{}, err
	}
	m, err := tx.Teams().Members(ctx, id)
	if err != nil {
		return TeamDetail{}, err
	}
	t.MemberCount = len(m)
	return TeamDetail{Team: t, Members: m}, nil
}

func (s *service) GetTeam(ctx context.Context, id string) (TeamDetail, error) {
	p, err := auth.CallerWith(ctx, domain.PermTeamsRead)
	if err != nil {
		return TeamDetail{}, err
	}
	if err := parseID("id", id); err != nil {
		return TeamDetail{}, err
	}
	var d TeamDetail
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		d, err = teamDetail(ctx, tx, id)
		return err
	})
	return d, err
}

func (s *service) UpdateTeam(ctx context.Context, id string, in domain.TeamInput) (TeamDetail, error) {
	p, err := auth.CallerWith(ctx, domain.PermTeamsWrite)
	if err != nil {
		return TeamDetail{}, err
	}
	if err := parseID("id", id); err != nil {
		return TeamDetail{}, err
	}
	now := s.now()
	var d TeamDetail
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		t, err := tx.Teams().GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := t.Update(in, now); err != nil {
			return err
		}
		if err := tx.Teams().Update(ctx, t); err != nil {
			return err
		}
		d, err = teamDetail(ctx, tx, id)
		return err
	})
	return d, err
}

func (s *service) DeleteTeam(ctx context.Context, id string) error {
	p, err := auth.CallerWith(ctx, domain.PermTeamsWrite)
	if err != nil {
		return err
	}
	if err := parseID("id", id); err != nil {
		return err
	}
	now := s.now()
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		t, err := tx.Teams().GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.Teams().Delete(ctx, t.ID, now); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, EventTeamDeleted, t.ID, p.OrgID, teamEventData{TeamID: t.ID, OrgID: p.OrgID, ActorID: p.UserID})
	})
}

func (s *service) AddTeamMember(ctx context.Context, teamID, userID string) (TeamDetail, error) {
	p, err := auth.CallerWith(ctx, domain.PermTeamsWrite)
	if err != nil {
		return TeamDetail{}, err
	}
	if err := parseID("id", teamID); err != nil {
		return TeamDetail{}, err
	}
	if err := parseID("user_id", userID); err != nil {
		return TeamDetail{}, err
	}
	now := s.now()
	var d TeamDetail
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		t, err := tx.Teams().GetForUpdate(ctx, teamID)
		if err != nil {
			return err
		}
		// The user must be visible (same organisation) and not deleted. An
		// id in the body that names none is the body's fault (422 naming
		// the field), unlike the team in the path (404).
		u, err := tx.Users().Get(ctx, userID)
		if errors.Is(err, apperr.ErrNotFound) {
			return apperr.Invalid("user_id", "is not a user of your organisation")
		}
		if err != nil {
			return err
		}
		if err := tx.Teams().AddMember(ctx, p.OrgID, teamID, userID, now); err != nil {
			return err
		}
		if err := tx.Events().Publish(ctx, EventTeamMemberAdded, t.ID, p.OrgID, teamEventData{
			TeamID: t.ID, OrgID: p.OrgID, UserID: u.ID, ActorID: p.UserID,
		}); err != nil {
			return err
		}
		d, err = teamDetail(ctx, tx, teamID)
		return err
	})
	return d, err
}

func (s *service) RemoveTeamMember(ctx context.Context, teamID, userID string) error {
	p, err := auth.CallerWith(ctx, domain.PermTeamsWrite)
	if err != nil {
		return err
	}
	if err := parseID("id", teamID); err != nil {
		return err
	}
	if err := parseID("user_id", userID); err != nil {
		return err
	}
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		t, err := tx.Teams().GetForUpdate(ctx, teamID)
		if err != nil {
			return err
		}
		removed, err := tx.Teams().RemoveMember(ctx, teamID, userID)
		if err != nil {
			return err
		}
		if !removed {
			return notMember()
		}
		// userID is a UUID (parseID), maybe not in canonical form.
		return tx.Events().Publish(ctx, EventTeamMemberRemoved, t.ID, p.OrgID, teamEventData{
			TeamID: t.ID, OrgID: p.OrgID, UserID: uuid.MustParse(userID).String(), ActorID: p.UserID,
		})
	})
}
