package auth

import (
	"crypto/rsa"
	"errors"
	"testing"

	"reos.dev/pkg/apperr"
)

// stubRevocations lists ended sessions; err stands for "cannot tell yet".
type stubRevocations struct {
	ended map[string]bool
	err   error
}

func (s stubRevocations) Revoked(sid string) (bool, error) {
	if s.ended[sid] {
		return true, nil
	}
	return false, s.err
}

func TestVerifyAccessChecksTheSession(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	keys := map[string]*rsa.PublicKey{signer.KeyID(): signer.PublicKey()}
	access := func(sid string) string {
		c := validClaims(TokenUseAccess)
		c.SessionID = sid
		return mustSign(t, signer, c)
	}
	refresh := func(sid string) string {
		c := validClaims(TokenUseRefresh)
		c.SessionID = sid
		return mustSign(t, signer, c)
	}
	ended := stubRevocations{ended: map[string]bool{"ended": true}}
	notLoaded := stubRevocations{ended: map[string]bool{"ended": true}, err: errors.New("not loaded")}
	tests := []struct {
		name       string
		checker    RevocationChecker // nil: a verifier without revocations
		token      string
		refresh    bool
		wantKind   apperr.Kind
		wantReason string // "" means accepted
	}{
		{name: "live session", checker: ended, token: access("live")},
		{name: "ended session", checker: ended, token: access("ended"), wantKind: apperr.KindUnauthorized, wantReason: ReasonSessionRevoked},
		{name: "no sid", checker: ended, token: access(""), wantKind: apperr.KindUnauthorized, wantReason: ReasonInvalidToken},
		{name: "list not loaded: an unlisted session cannot be vouched for", checker: notLoaded, token: access("live"), wantKind: apperr.KindUnavailable, wantReason: ReasonAuthUnavailable},
		{name: "list not loaded: a listed session is still refused", checker: notLoaded, token: access("ended"), wantKind: apperr.KindUnauthorized, wantReason: ReasonSessionRevoked},
		{name: "refresh tokens are identity's to check", checker: ended, token: refresh("ended"), refresh: true},
		{name: "without revocations a token needs no sid", token: access("")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var opts []VerifierOption
			if tc.checker != nil {
				opts = append(opts, WithRevocations(tc.checker))
			}
			v := NewStaticVerifier(keys, testIssuer, testAudience, opts...)
			verify := v.VerifyAccess
			if tc.refresh {
				verify = v.VerifyRefresh
			}
			_, err := verify(t.Context(), tc.token)
			if tc.wantReason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != tc.wantKind || e.Reason != tc.wantReason {
				t.Fatalf("err = %v, want %v %s", err, tc.wantKind, tc.wantReason)
			}
			// The cache's re-check agrees with the full verification.
			if err := v.CheckSession(sidOf(t, v, tc.token)); apperr.KindOf(err) != tc.wantKind {
				t.Errorf("CheckSession = %v, want kind %v", err, tc.wantKind)
			}
		})
	}
}

// sidOf reads a token's sid without the revocation check.
func sidOf(t *testing.T, v *Verifier, token string) string {
	t.Helper()
	plain := *v
	plain.revocations = nil
	c, err := plain.VerifyAccess(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	return c.SessionID
}

func TestWithNilRevocationsFailsClosed(t *testing.T) {
	t.Parallel()
	signer := testSigner(t, 0)
	v := NewStaticVerifier(map[string]*rsa.PublicKey{signer.KeyID(): signer.PublicKey()}, testIssuer, testAudience, WithRevocations(nil))
	if err := v.Ready(t.Context()); err == nil {
		t.Fatal("Ready = nil for a verifier wired with a nil revocation checker")
	}
	c := validClaims(TokenUseAccess)
	c.SessionID = "s"
	if _, err := v.VerifyAccess(t.Context(), mustSign(t, signer, c)); apperr.KindOf(err) != apperr.KindUnavailable {
		t.Fatalf("VerifyAccess = %v, want unavailable", err)
	}
}
