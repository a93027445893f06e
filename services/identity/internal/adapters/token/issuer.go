// Package token signs identity's JWTs with pkg/auth and checks the refresh
// tokens it issued.
package token

import (
	"context"
	"errors"

	"github.com/golang-jwt/jwt/v5"

	"reos.dev/pkg/auth"
	"reos.dev/services/identity/internal/app"
)

// Issuer implements app.TokenIssuer with the active key of a key set. Its
// verifier accepts every published key, so tokens signed before a rotation
// keep working until they expire.
type Issuer struct {
	keys     *auth.KeySet
	verifier *auth.Verifier
	issuer   string
	audience string
}

var _ app.TokenIssuer = (*Issuer)(nil)

// NewIssuer returns an issuer that writes iss and aud into every token. Its
// verifier refuses access tokens of the sessions revocations lists as ended,
// like every other service's.
func NewIssuer(keys *auth.KeySet, issuer, audience string, revocations auth.RevocationChecker) (*Issuer, error) {
	if keys == nil {
		return nil, errors.New("token: NewIssuer: nil key set")
	}
	if issuer == "" || audience == "" {
		return nil, errors.New("token: NewIssuer: issuer and audience are required")
	}
	if revocations == nil {
		return nil, errors.New("token: NewIssuer: nil revocation checker")
	}
	v := auth.NewStaticVerifier(keys.PublicKeys(), issuer, audience, auth.WithRevocations(revocations))
	if err := v.Ready(context.Background()); err != nil {
		return nil, err
	}
	return &Issuer{keys: keys, verifier: v, issuer: issuer, audience: audience}, nil
}

// Verifier checks access tokens against identity's own published keys; the
// HTTP middleware uses it (defence in depth behind the gateway).
func (i *Issuer) Verifier() *auth.Verifier { return i.verifier }

// JWKS is the published key document.
func (i *Issuer) JWKS() auth.JWKS { return i.keys.JWKS() }

// Sign signs c as an RS256 JWT with the active key's kid.
func (i *Issuer) Sign(c app.TokenClaims) (string, error) {
	return i.keys.Signer().Sign(auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   c.UserID,
			Audience:  jwt.ClaimStrings{i.audience},
			ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
			NotBefore: jwt.NewNumericDate(c.IssuedAt),
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			ID:        c.ID,
		},
		OrgID:     c.OrgID,
		Roles:     c.Roles,
		Perms:     c.Perms,
		TokenUse:  c.Use,
		Email:     c.Email,
		SessionID: c.SessionID,
	})
}

// VerifyRefresh checks a refresh token with the same rules as every verifier.
func (i *Issuer) VerifyRefresh(ctx context.Context, raw string) (app.TokenClaims, error) {
	c, err := i.verifier.VerifyRefresh(ctx, raw)
	if err != nil {
		return app.TokenClaims{}, err
	}
	out := app.TokenClaims{
		ID: c.ID, Use: c.TokenUse, SessionID: c.SessionID, UserID: c.Subject, OrgID: c.OrgID, Email: c.Email,
		Roles: c.Roles, Perms: c.Perms,
	}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		out.ExpiresAt = c.ExpiresAt.Time
	}
	return out, nil
}
