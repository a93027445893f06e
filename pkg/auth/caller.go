package auth

import (
	"context"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
)

// ReasonMissingPermission is the problem reason of a caller lacking a permission.
const ReasonMissingPermission = "missing_permission"

// Caller returns the authenticated caller that Middleware put in ctx. Use
// cases call it (or CallerWith) themselves, so no transport can forget the
// check; its absence is a 401, never a panic.
func Caller(ctx context.Context) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || p.UserID == "" {
		return Principal{}, apperr.Unauthorized(reasonMissingToken, "a bearer token is required")
	}
	if _, err := uuid.Parse(p.OrgID); err != nil {
		return Principal{}, apperr.Unauthorized(ReasonInvalidToken, "the token is invalid")
	}
	return p, nil
}

// CallerWith returns the caller when it holds perm, else a 403 naming the
// permission.
func CallerWith(ctx context.Context, perm string) (Principal, error) {
	p, err := Caller(ctx)
	if err != nil {
		return p, err
	}
	if !p.Can(perm) {
		return p, apperr.Forbidden(ReasonMissingPermission, "requires permission "+perm)
	}
	return p, nil
}
