package domain

import (
	"fmt"

	"reos.dev/pkg/apperr"
)

// CheckCanActOn refuses an admin action (reset password, set roles, update,
// delete) by a caller holding caller on a user holding target, unless the
// caller holds every permission the target holds, under the wildcard rules
// of Grants. Otherwise users:admin would be a path to "*": reset an
// admin's password and sign in as them. It says nothing about acting on
// oneself; the use cases decide that.
func CheckCanActOn(caller, target []string) error {
	for _, p := range target {
		if !Grants(caller, p) {
			return apperr.Forbidden(ReasonTargetOutranksCaller,
				fmt.Sprintf("the user holds %q, which you do not hold", p))
		}
	}
	return nil
}

// HoldsEverything reports whether perms hold "*": such a holder is an admin
// of its organisation, whichever role granted it, and an organisation must
// always keep one.
func HoldsEverything(perms []string) bool {
	for _, p := range perms {
		if p == PermAll {
			return true
		}
	}
	return false
}

// ErrCannotResetOwnPassword refuses an admin reset of the caller's own
// password: it would skip the current-password check of a password change,
// so a stolen access token could take the account over.
func ErrCannotResetOwnPassword() error {
	return apperr.Unprocessable(ReasonCannotResetOwnPassword, "change your own password with POST /api/v1/auth/password")
}
