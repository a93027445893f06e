package domain

import (
	"time"

	"reos.dev/pkg/apperr"
)

// Revocation reasons recorded on refresh tokens.
const (
	RevokeLogout         = "logout"
	RevokeReuse          = "reuse_detected"
	RevokePasswordChange = "password_changed"
	RevokePasswordReset  = "password_reset"
	RevokeUserDeleted    = "user_deleted"
	RevokeRolesChanged   = "roles_changed"
	RevokeRoleNarrowed   = "role_narrowed"
)

// RefreshToken is the server-side record of one refresh token (its jti).
// Every token descends from one login: they share a FamilyID, and rotation
// links each used token to its replacement.
type RefreshToken struct {
	ID         string
	OrgID      string
	UserID     string
	FamilyID   string
	IssuedAt   time.Time
	ExpiresAt  time.Time
	UsedAt     *time.Time
	ReplacedBy *string
	RevokedAt  *time.Time
}

// RefreshState is what presenting a refresh token means.
type RefreshState int

// Refresh states.
const (
	RefreshUsable  RefreshState = iota
	RefreshReused               // already rotated: a stolen copy is in play
	RefreshRevoked              // logged out, or its family was revoked
	RefreshExpired
)

// State classifies the token at now.
func (t RefreshToken) State(now time.Time) RefreshState {
	switch {
	case t.RevokedAt != nil:
		return RefreshRevoked
	case t.UsedAt != nil:
		return RefreshReused
	case !now.Before(t.ExpiresAt):
		return RefreshExpired
	default:
		return RefreshUsable
	}
}

// ErrInvalidRefresh answers every refresh that cannot proceed, without
// saying why (the reason is logged and recorded server-side).
func ErrInvalidRefresh() error {
	return apperr.Unauthorized("invalid_refresh_token", "the refresh token is invalid, expired or revoked")
}
