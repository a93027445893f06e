package domain

import "reos.dev/pkg/apperr"

// Reasons are stable machine-readable error reasons (the suffix of the
// problem type URI). Clients may switch on them.
const (
	ReasonInvalidCredentials = "invalid_credentials" // #nosec G101 -- a problem reason, not a credential
	ReasonAccountLocked      = "account_locked"
	ReasonEmailTaken         = "email_taken"
	ReasonUserNotFound       = "user_not_found"
	ReasonTeamNotFound       = "team_not_found"
	ReasonRoleNotFound       = "role_not_found"
	ReasonTeamNameTaken      = "team_name_taken"
	ReasonRoleNameTaken      = "role_name_taken"
	ReasonAlreadyMember      = "already_member"
	ReasonNotMember          = "not_member"
	ReasonLastAdmin          = "last_admin"
	ReasonCannotDeleteSelf   = "cannot_delete_self"
	// ReasonCannotResetOwnPassword: the admin reset is for other users; your
	// own password changes through POST /auth/password, which asks for it.
	ReasonCannotResetOwnPassword = "cannot_reset_own_password"
	// ReasonTargetOutranksCaller: an admin action on a user who holds a
	// permission the caller does not.
	ReasonTargetOutranksCaller = "target_outranks_caller"
	ReasonSystemRole           = "system_role"
	ReasonRoleInUse            = "role_in_use"
	ReasonMissingPermission    = "missing_permission"
	ReasonTokenReused          = "refresh_token_reused"
	ReasonTokenRevoked         = "refresh_token_revoked"
	ReasonWrongPassword        = "wrong_password"
	ReasonModeForbidden        = "not_allowed_in_mode"
)

// ErrInvalidCredentials answers every failed login the same way, whether the
// email is unknown, the password wrong or the account deleted, so that the
// answer never reveals which accounts exist.
func ErrInvalidCredentials() error {
	return apperr.Unauthorized(ReasonInvalidCredentials, "the email or password is incorrect")
}

// ErrUserNotFound is the answer for a user that does not exist or belongs to
// another organisation: row-level security makes the two indistinguishable,
// and the answer keeps them so.
func ErrUserNotFound() error { return apperr.NotFound(ReasonUserNotFound, "no such user") }

// ErrTeamNotFound is ErrUserNotFound for teams.
func ErrTeamNotFound() error { return apperr.NotFound(ReasonTeamNotFound, "no such team") }

// ErrRoleNotFound is ErrUserNotFound for roles.
func ErrRoleNotFound() error { return apperr.NotFound(ReasonRoleNotFound, "no such role") }

// ErrEmailTaken reports a registration or creation with an email that
// already has an account (one account per email across the whole system).
func ErrEmailTaken() error {
	e := apperr.Conflict(ReasonEmailTaken, "an account with this email already exists")
	e.Fields = []apperr.FieldError{{Field: "email", Message: "is already registered"}}
	return e
}

// ErrForbidden reports a caller lacking perm.
func ErrForbidden(perm string) error {
	return apperr.Forbidden(ReasonMissingPermission, "requires permission "+perm)
}
