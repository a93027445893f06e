package app

import (
	"context"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/identity/internal/domain"
)

// actor returns the authenticated caller. The transport's middleware put it
// in the context; its absence is a 401, never a panic.
func actor(ctx context.Context) (auth.Principal, error) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok || p.UserID == "" {
		return auth.Principal{}, apperr.Unauthorized("missing_token", "a bearer token is required")
	}
	if _, err := uuid.Parse(p.OrgID); err != nil {
		return auth.Principal{}, apperr.Unauthorized(auth.ReasonInvalidToken, "the token is invalid")
	}
	return p, nil
}

// require returns the caller when it holds perm: the app layer checks every
// permission itself so that no transport can forget one.
func require(ctx context.Context, perm string) (auth.Principal, error) {
	p, err := actor(ctx)
	if err != nil {
		return p, err
	}
	if !p.Can(perm) {
		return p, domain.ErrForbidden(perm)
	}
	return p, nil
}

// parseID checks a path id. A malformed id is the client's mistake (400
// naming the field), not a database error.
func parseID(field, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return apperr.BadRequest(field, "must be a UUID")
	}
	return nil
}
