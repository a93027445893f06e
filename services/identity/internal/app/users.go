package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/identity/internal/domain"
)

// userStatuses are the ?status= values of the ordinary and the admin list.
var (
	userStatuses      = []string{domain.UserActive, "locked"}
	adminUserStatuses = []string{domain.UserActive, "locked", domain.UserDeleted}
)

func validateUserQuery(q *UserQuery, statuses []string) error {
	if q.Sort == "" {
		q.Sort = "created_at"
	}
	if !slices.Contains(UserSorts, q.Sort) {
		return apperr.BadRequest("sort", "must be one of "+strings.Join(UserSorts, ", "))
	}
	if q.Status != "" && !slices.Contains(statuses, q.Status) {
		return apperr.BadRequest("status", "must be one of "+strings.Join(statuses, ", "))
	}
	q.Q = strings.TrimSpace(q.Q)
	if len(q.Q) > domain.MaxEmailLen || strings.ContainsRune(q.Q, 0) {
		return apperr.BadRequest("q", "must be at most 254 bytes of text")
	}
	q.Role = strings.ToLower(strings.TrimSpace(q.Role))
	if len(q.Role) > domain.MaxRoleNameLen || strings.ContainsRune(q.Role, 0) {
		return apperr.BadRequest("role", "must be a role name")
	}
	return nil
}

func (s *service) listUsers(ctx context.Context, orgID string, q UserQuery) (Page[UserRow], error) {
	q.Now = s.now()
	var page Page[UserRow]
	err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		var err error
		page.Items, page.Next, err = tx.Users().List(ctx, q)
		return err
	})
	return page, err
}

func (s *service) ListUsers(ctx context.Context, q UserQuery) (Page[UserRow], error) {
	p, err := auth.CallerWith(ctx, domain.PermUsersRead)
	if err != nil {
		return Page[UserRow]{}, err
	}
	if err := validateUserQuery(&q, userStatuses); err != nil {
		return Page[UserRow]{}, err
	}
	q.IncludeDeleted = false
	return s.listUsers(ctx, p.OrgID, q)
}

func (s *service) AdminListUsers(ctx context.Context, q UserQuery) (Page[UserRow], error) {
	p, err := auth.CallerWith(ctx, domain.PermUsersAdmin)
	if err != nil {
		return Page[UserRow]{}, err
	}
	if err := validateUserQuery(&q, adminUserStatuses); err != nil {
		return Page[UserRow]{}, err
	}
	q.IncludeDeleted = true
	return s.listUsers(ctx, p.OrgID, q)
}

func (s *service) GetUser(ctx context.Context, id string) (domain.User, error) {
	p, err := auth.CallerWith(ctx, domain.PermUsersRead)
	if err != nil {
		return domain.User{}, err
	}
	if err := parseID("id", id); err != nil {
		return domain.User{}, err
	}
	var u domain.User
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		u, err = tx.Users().Get(ctx, id)
		return err
	})
	return u, err
}

type userUpdatedData struct {
	UserID  string   `json:"user_id"`
	OrgID   string   `json:"org_id"`
	Fields  []string `json:"fields"`
	ActorID string   `json:"actor_id"`
}

func (s *service) UpdateUser(ctx context.Context, id string, upd domain.ProfileUpdate) (domain.User, error) {
	p, err := auth.Caller(ctx)
	if err != nil {
		return domain.User{}, err
	}
	if err := parseID("id", id); err != nil {
		return domain.User{}, err
	}
	// Your own profile is yours to edit; another user's needs users:write,
	// checked before the lookup as the route table checks every other
	// route's permission: without it the answer is 403 whatever the id
	// names, so it tells nothing about who exists (docs/architecture.md,
	// "Routes are data"). The id is compared in canonical form, so an
	// upper-case spelling of your own is still yours.
	if uuid.MustParse(id).String() != p.UserID && !p.Can(domain.PermUsersWrite) {
		return domain.User{}, domain.ErrForbidden(domain.PermUsersWrite)
	}
	now := s.now()
	var u domain.User
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if u, err = tx.Users().GetForUpdate(ctx, id); err != nil {
			return err
		}
		// Another user's profile also needs every permission the user
		// holds; the stored id decides who "another" is.
		if u.ID != p.UserID {
			if !p.Can(domain.PermUsersWrite) {
				return domain.ErrForbidden(domain.PermUsersWrite)
			}
			if _, err := s.checkCanActOn(ctx, tx, p, u); err != nil {
				return err
			}
		}
		changed := changedFields(upd)
		if len(changed) == 0 {
			return nil // nothing to write, nothing to announce
		}
		if err := u.UpdateProfile(upd, now); err != nil {
			return err
		}
		if err := tx.Users().Update(ctx, u); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, EventUserUpdated, u.ID, u.OrgID, userUpdatedData{
			UserID: u.ID, OrgID: u.OrgID, Fields: changed, ActorID: p.UserID,
		})
	})
	return u, err
}

func changedFields(p domain.ProfileUpdate) []string {
	out := []string{}
	for name, v := range map[string]*string{"full_name": p.FullName, "phone": p.Phone, "title": p.Title, "timezone": p.Timezone} {
		if v != nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (s *service) DeleteUser(ctx context.Context, id string) error {
	p, err := auth.CallerWith(ctx, domain.PermUsersWrite)
	if err != nil {
		return err
	}
	if err := parseID("id", id); err != nil {
		return err
	}
	now := s.now()
	ended := endedSessions{at: now}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if err := tx.Orgs().Lock(ctx, p.OrgID); err != nil {
			return err
		}
		u, err := tx.Users().GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if err := u.CheckDeletableBy(p.UserID); err != nil {
			return err
		}
		held, err := s.checkCanActOn(ctx, tx, p, u)
		if err != nil {
			return err
		}
		if err := tx.Users().SoftDelete(ctx, u.ID, now); err != nil {
			return err
		}
		if err := s.checkAdminRemains(ctx, tx, held); err != nil {
			return err
		}
		sids, err := tx.Tokens().RevokeUser(ctx, u.ID, now, domain.RevokeUserDeleted)
		if err != nil {
			return err
		}
		if err := s.end(ctx, tx, &ended, u.OrgID, u.ID, p.UserID, domain.RevokeUserDeleted, sids); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, EventUserDeleted, u.ID, u.OrgID, userEventData{
			UserID: u.ID, OrgID: u.OrgID, Email: u.Email, ActorID: p.UserID,
		})
	})
	if err != nil {
		return err
	}
	s.announce(ctx, ended)
	return nil
}

// checkCanActOn lets the caller act on another user only when it holds
// every permission the user holds now (domain.CheckCanActOn), and returns
// those permissions. The target's are read from the database, never from a
// token, so a stale token cannot understate them.
func (s *service) checkCanActOn(ctx context.Context, tx Tx, p auth.Principal, u domain.User) ([]string, error) {
	roles, err := tx.Roles().ForUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	held := domain.UnionPermissions(roles)
	if u.ID == p.UserID {
		return held, nil
	}
	return held, domain.CheckCanActOn(p.Perms, held)
}

// checkAdminRemains runs after a change inside its transaction (roles set,
// user deleted, role narrowed) and refuses it, rolling it back, when the
// change took "*" away from someone (hadAll) and nobody in the
// organisation holds it any more. Counting after the change, rather than
// predicting it, makes the rule hold for every path and every role that
// grants "*". The caller holds the organisation lock, so two concurrent
// changes cannot each leave the other to keep the last admin.
func (s *service) checkAdminRemains(ctx context.Context, tx Tx, hadAll []string) error {
	if !domain.HoldsEverything(hadAll) {
		return nil
	}
	n, err := tx.Users().CountAdmins(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return domain.ErrLastAdmin()
	}
	return nil
}

func (s *service) AdminCreateUser(ctx context.Context, in CreateUserInput) (domain.User, error) {
	p, err := auth.CallerWith(ctx, domain.PermUsersAdmin)
	if err != nil {
		return domain.User{}, err
	}
	acc, err := domain.ValidateNewAccount(domain.AccountInput{Email: in.Email, Password: in.Password, FullName: in.FullName})
	var fields apperr.Fields
	if e, ok := apperr.As(err); ok {
		fields = append(fields, e.Fields...)
	} else if err != nil {
		return domain.User{}, err
	}
	names, nameErr := normalizeRoleNames(in.Roles)
	if e, ok := apperr.As(nameErr); ok {
		fields = append(fields, e.Fields...)
	}
	if err := fields.Err(); err != nil {
		return domain.User{}, err
	}
	hash, err := s.hasher.Hash(acc.Password)
	if err != nil {
		return domain.User{}, err
	}
	now := s.now()
	u, err := domain.NewUser(newID(), p.OrgID, domain.NewUserInput{Email: acc.Email, FullName: acc.FullName, PasswordHash: hash}, now)
	if err != nil {
		return domain.User{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		roles, err := s.rolesByNames(ctx, tx, names)
		if err != nil {
			return err
		}
		if err := domain.CheckCanGrant(p.Perms, domain.UnionPermissions(roles)); err != nil {
			return err
		}
		if err := tx.Users().Create(ctx, u); err != nil {
			return err
		}
		if err := tx.Users().SetRoles(ctx, u.ID, roleIDs(roles), now); err != nil {
			return err
		}
		u.Roles = roleNames(roles)
		slices.Sort(u.Roles)
		return tx.Events().Publish(ctx, EventUserRegistered, u.ID, u.OrgID, userEventData{
			UserID: u.ID, OrgID: u.OrgID, Email: u.Email, FullName: u.FullName, Roles: u.Roles, Via: "admin", ActorID: p.UserID,
		})
	})
	if err != nil {
		return domain.User{}, err
	}
	return u, nil
}

func normalizeRoleNames(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, apperr.Invalid("roles", "must name at least one role")
	}
	if len(in) > 50 {
		return nil, apperr.Invalid("roles", "must name at most 50 roles")
	}
	var fields apperr.Fields
	out := make([]string, 0, len(in))
	for i, n := range in {
		n = strings.ToLower(strings.TrimSpace(n))
		if !domain.ValidRoleName(n) {
			fields.Add(fmt.Sprintf("roles[%d]", i), "is not a role name")
			continue
		}
		out = append(out, n)
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// rolesByNames loads the named roles and names every unknown one.
func (s *service) rolesByNames(ctx context.Context, tx Tx, names []string) ([]domain.Role, error) {
	roles, err := tx.Roles().ByNames(ctx, names)
	if err != nil {
		return nil, err
	}
	var fields apperr.Fields
	for _, n := range names {
		if !slices.ContainsFunc(roles, func(r domain.Role) bool { return r.Name == n }) {
			fields.Add("roles", fmt.Sprintf("no role named %q", n))
		}
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	return roles, nil
}

func roleIDs(roles []domain.Role) []string {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		out = append(out, r.ID)
	}
	return out
}

type rolesChangedData struct {
	UserID        string   `json:"user_id"`
	OrgID         string   `json:"org_id"`
	Roles         []string `json:"roles"`
	PreviousRoles []string `json:"previous_roles"`
	ActorID       string   `json:"actor_id"`
}

func (s *service) SetUserRoles(ctx context.Context, id string, in []string) (domain.User, error) {
	p, err := auth.CallerWith(ctx, domain.PermUsersAdmin)
	if err != nil {
		return domain.User{}, err
	}
	if err := parseID("id", id); err != nil {
		return domain.User{}, err
	}
	names, err := normalizeRoleNames(in)
	if err != nil {
		return domain.User{}, err
	}
	now := s.now()
	var u domain.User
	ended := endedSessions{at: now}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if err := tx.Orgs().Lock(ctx, p.OrgID); err != nil {
			return err
		}
		if u, err = tx.Users().GetForUpdate(ctx, id); err != nil {
			return err
		}
		held, err := s.checkCanActOn(ctx, tx, p, u)
		if err != nil {
			return err
		}
		roles, err := s.rolesByNames(ctx, tx, names)
		if err != nil {
			return err
		}
		if err := domain.CheckCanGrant(p.Perms, domain.UnionPermissions(roles)); err != nil {
			return err
		}
		if err := tx.Users().SetRoles(ctx, u.ID, roleIDs(roles), now); err != nil {
			return err
		}
		if err := s.checkAdminRemains(ctx, tx, held); err != nil {
			return err
		}
		previous := u.Roles
		u.Roles = names
		// Any change ends the user's sessions, not only a narrowing:
		// simpler, and a token never outlives the roles it names. The user
		// signs in again and gets the new permissions. The same roles again
		// change nothing, and the sessions stand.
		if !slices.Equal(previous, names) {
			sids, err := tx.Tokens().RevokeUser(ctx, u.ID, now, domain.RevokeRolesChanged)
			if err != nil {
				return err
			}
			if err := s.end(ctx, tx, &ended, u.OrgID, u.ID, p.UserID, domain.RevokeRolesChanged, sids); err != nil {
				return err
			}
		}
		return tx.Events().Publish(ctx, EventUserRolesChanged, u.ID, u.OrgID, rolesChangedData{
			UserID: u.ID, OrgID: u.OrgID, Roles: names, PreviousRoles: previous, ActorID: p.UserID,
		})
	})
	if err != nil {
		return u, err
	}
	s.announce(ctx, ended)
	return u, nil
}

func (s *service) ResetPassword(ctx context.Context, id string) (PasswordReset, error) {
	p, err := auth.CallerWith(ctx, domain.PermUsersAdmin)
	if err != nil {
		return PasswordReset{}, err
	}
	if err := parseID("id", id); err != nil {
		return PasswordReset{}, err
	}
	// 26 base32 characters: 130 bits, well inside the password policy.
	temp := rand.Text()
	hash, err := s.hasher.Hash(temp)
	if err != nil {
		return PasswordReset{}, err
	}
	now := s.now()
	ended := endedSessions{at: now}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		u, err := tx.Users().GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		// Compared as stored: the path's id may spell the same UUID
		// differently (upper case).
		if u.ID == p.UserID {
			return domain.ErrCannotResetOwnPassword()
		}
		if _, err := s.checkCanActOn(ctx, tx, p, u); err != nil {
			return err
		}
		u.SetPassword(hash, now)
		if err := tx.Users().Update(ctx, u); err != nil {
			return err
		}
		sids, err := tx.Tokens().RevokeUser(ctx, u.ID, now, domain.RevokePasswordReset)
		if err != nil {
			return err
		}
		if err := s.end(ctx, tx, &ended, u.OrgID, u.ID, p.UserID, domain.RevokePasswordReset, sids); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, EventPasswordChanged, u.ID, u.OrgID, passwordChangedData{
			UserID: u.ID, OrgID: u.OrgID, Reason: "admin_reset", ActorID: p.UserID,
		})
	})
	if err != nil {
		return PasswordReset{}, err
	}
	s.announce(ctx, ended)
	if s.cfg.Mode != ModeMock {
		return PasswordReset{}, nil
	}
	return PasswordReset{TemporaryPassword: temp}, nil
}
