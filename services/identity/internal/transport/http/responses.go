package http

import (
	"time"

	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/domain"
)

// The JSON shapes of the API. They are kept apart from the domain types so
// that a field added to an entity (a password hash, say) never reaches a
// client by accident.

type userDTO struct {
	ID          string     `json:"id"`
	OrgID       string     `json:"org_id"`
	Email       string     `json:"email"`
	FullName    string     `json:"full_name"`
	Phone       *string    `json:"phone"`
	Title       *string    `json:"title"`
	Timezone    *string    `json:"timezone"`
	Status      string     `json:"status"`
	Roles       []string   `json:"roles"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func toUser(u domain.User) userDTO {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return userDTO{
		ID: u.ID, OrgID: u.OrgID, Email: u.Email, FullName: u.FullName, Phone: u.Phone, Title: u.Title,
		Timezone: u.Timezone, Status: u.Status, Roles: roles, CreatedAt: utc(u.CreatedAt), UpdatedAt: utc(u.UpdatedAt),
		LastLoginAt: utcPtr(u.LastLoginAt),
	}
}

// userListDTO is a user in GET /users: the user plus whether it is locked
// out right now.
type userListDTO struct {
	userDTO
	Locked bool `json:"locked"`
}

// adminUserDTO is a user in GET /admin/users, with lockout and deletion
// details.
type adminUserDTO struct {
	userDTO
	Locked         bool       `json:"locked"`
	LockedUntil    *time.Time `json:"locked_until"`
	FailedAttempts int        `json:"failed_attempts"`
	DeletedAt      *time.Time `json:"deleted_at"`
}

func isLocked(r app.UserRow, now time.Time) bool {
	return r.LockedUntil != nil && r.LockedUntil.After(now)
}

type tokenPairDTO struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func toTokenPair(p app.TokenPair) tokenPairDTO {
	return tokenPairDTO{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, TokenType: p.TokenType, ExpiresIn: p.ExpiresIn}
}

type organizationDTO struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

type meDTO struct {
	userDTO
	Organization organizationDTO `json:"organization"`
	Permissions  []string        `json:"permissions"`
}

func toMe(m app.Me) meDTO {
	perms := m.Permissions
	if perms == nil {
		perms = []string{}
	}
	return meDTO{
		userDTO:      toUser(m.User),
		Organization: organizationDTO{ID: m.Organization.ID, Name: m.Organization.Name, CreatedAt: utc(m.Organization.CreatedAt)},
		Permissions:  perms,
	}
}

type roleDTO struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Permissions []string  `json:"permissions"`
	System      bool      `json:"system"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toRole(r domain.Role) roleDTO {
	perms := r.Permissions
	if perms == nil {
		perms = []string{}
	}
	return roleDTO{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Description: r.Description, Permissions: perms,
		System: r.System, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

type teamDTO struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	MemberCount int       `json:"member_count"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toTeam(t domain.Team) teamDTO {
	return teamDTO{ID: t.ID, OrgID: t.OrgID, Name: t.Name, Description: t.Description, MemberCount: t.MemberCount,
		CreatedAt: utc(t.CreatedAt), UpdatedAt: utc(t.UpdatedAt)}
}

type teamMemberDTO struct {
	UserID   string    `json:"user_id"`
	Email    string    `json:"email"`
	FullName string    `json:"full_name"`
	AddedAt  time.Time `json:"added_at"`
}

type teamDetailDTO struct {
	teamDTO
	Members []teamMemberDTO `json:"members"`
}

func toTeamDetail(d app.TeamDetail) teamDetailDTO {
	out := teamDetailDTO{teamDTO: toTeam(d.Team), Members: []teamMemberDTO{}}
	for _, m := range d.Members {
		out.Members = append(out.Members, teamMemberDTO{UserID: m.UserID, Email: m.Email, FullName: m.FullName, AddedAt: utc(m.AddedAt)})
	}
	out.MemberCount = len(out.Members)
	return out
}

type permissionDTO struct {
	Name        string `json:"name"`
	Resource    string `json:"resource"`
	Description string `json:"description"`
}

// passwordResetDTO answers an admin password reset: 200 with the temporary
// password in mock mode, 204 without a body in production.
type passwordResetDTO struct {
	TemporaryPassword string `json:"temporary_password"`
}

// StatusCode makes an empty reset a 204.
func (p passwordResetDTO) StatusCode() int {
	if p.TemporaryPassword == "" {
		return 204
	}
	return 200
}
