package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Token uses carried in the token_use claim.
const (
	TokenUseAccess  = "access"
	TokenUseRefresh = "refresh"
)

// Claims is the payload of every platform token. The caller of Signer.Sign
// fills all of it, including iss, aud, exp, iat, jti and sub.
type Claims struct {
	jwt.RegisteredClaims
	OrgID    string   `json:"org_id"`
	Roles    []string `json:"roles"`
	Perms    []string `json:"perms"`
	TokenUse string   `json:"token_use"`
	Email    string   `json:"email,omitempty"`
	// SessionID (sid) names the login the token belongs to: identity's
	// refresh-token family, shared by every token pair of one login.
	// Ending the session (Revocations) ends its access tokens.
	SessionID string `json:"sid,omitempty"`
}

// Principal returns the caller the claims describe.
func (c *Claims) Principal() Principal {
	return Principal{
		UserID:    c.Subject,
		OrgID:     c.OrgID,
		Email:     c.Email,
		Roles:     slices.Clone(c.Roles),
		Perms:     slices.Clone(c.Perms),
		SessionID: c.SessionID,
	}
}

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID string
	OrgID  string
	Email  string
	Roles  []string
	Perms  []string
	// SessionID is the token's sid (see Claims.SessionID).
	SessionID string
}

// Can reports whether the principal holds perm. A granted permission matches
// when it is equal to perm, when it is "*" (everything), or when it is
// "<resource>:*" and perm is "<resource>:<anything>". So "admin:*" covers
// "admin:users" but not "properties:write"; an all-powerful role is granted
// "*". Wildcards are honoured only in granted permissions, never in perm.
func (p Principal) Can(perm string) bool {
	if perm == "" {
		return false
	}
	for _, g := range p.Perms {
		if g == perm || g == "*" {
			return true
		}
		if res, ok := strings.CutSuffix(g, ":*"); ok && res != "" {
			if rest, ok := strings.CutPrefix(perm, res+":"); ok && rest != "" {
				return true
			}
		}
	}
	return false
}

// HasRole reports whether the principal holds the named role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal stored by WithPrincipal (or Middleware).
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
