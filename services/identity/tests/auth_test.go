package tests

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"reos.dev/pkg/auth"
	"reos.dev/services/identity/internal/domain"
)

func TestRegisterLoginMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	u := e.register("  Ann.Owner@Example.TEST ", "Ann Realty")
	if u.Email != "ann.owner@example.test" {
		t.Errorf("email = %q, want it trimmed and lower-cased", u.Email)
	}
	if !slices.Equal(u.Roles, []string{"admin"}) || u.Status != "active" || u.OrgID == "" {
		t.Errorf("registered user = %+v, want an active admin of a new org", u)
	}
	if _, err := time.Parse(time.RFC3339, u.CreatedAt); err != nil || !strings.HasSuffix(u.CreatedAt, "Z") {
		t.Errorf("created_at %q is not RFC 3339 UTC", u.CreatedAt)
	}

	pair := e.login("ann.owner@example.test", goodPassword)
	if pair.TokenType != "Bearer" || pair.ExpiresIn != 900 || pair.AccessToken == "" || pair.RefreshToken == "" {
		t.Fatalf("token pair = %+v", pair)
	}

	// The header names RS256 and a kid that the JWKS serves.
	head, _, _ := strings.Cut(pair.AccessToken, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var header struct{ Alg, Kid, Typ string }
	if err := json.Unmarshal(raw, &header); err != nil {
		t.Fatal(err)
	}
	if header.Alg != "RS256" || header.Kid == "" {
		t.Fatalf("header = %+v, want RS256 with a kid", header)
	}
	for _, path := range []string{"/.well-known/jwks.json", "/api/v1/.well-known/jwks.json"} {
		r := e.call(http.MethodGet, path, "", nil)
		expect(t, r, http.StatusOK, path)
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=300") {
			t.Errorf("%s Cache-Control = %q", path, cc)
		}
		keys, err := auth.ParseJWKS(r.Body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if _, ok := keys[header.Kid]; !ok {
			t.Fatalf("%s does not serve kid %s", path, header.Kid)
		}
		// The published key verifies the token: what every other service does.
		claims, err := auth.NewStaticVerifier(keys, testIssuer, testAudience).VerifyAccess(t.Context(), pair.AccessToken)
		if err != nil {
			t.Fatalf("verify with %s: %v", path, err)
		}
		if claims.Subject != u.ID || claims.OrgID != u.OrgID || claims.Email != u.Email ||
			!slices.Equal(claims.Perms, []string{"*"}) || claims.ID == "" || claims.NotBefore == nil {
			t.Errorf("claims = %+v", claims)
		}
	}

	r := e.call(http.MethodGet, "/api/v1/auth/me", pair.AccessToken, nil)
	expect(t, r, http.StatusOK, "me")
	me := decode[meJSON](t, r)
	if me.ID != u.ID || me.Organization.ID != u.OrgID || me.Organization.Name != "Ann Realty" ||
		!slices.Equal(me.Permissions, []string{"*"}) || !slices.Equal(me.Roles, []string{"admin"}) {
		t.Errorf("me = %+v", me)
	}
	if strings.Contains(string(r.Body), "argon2") || strings.Contains(string(r.Body), "password") {
		t.Errorf("me leaks password material: %s", r.Body)
	}

	// The new organisation has the four system roles.
	r = e.call(http.MethodGet, "/api/v1/roles", pair.AccessToken, nil)
	expect(t, r, http.StatusOK, "roles")
	roles := decode[struct{ Items []struct{ Name string } }](t, r)
	var names []string
	for _, ro := range roles.Items {
		names = append(names, ro.Name)
	}
	if !slices.Equal(names, []string{"admin", "agent", "sales", "viewer"}) {
		t.Errorf("roles = %v", names)
	}
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("taken@example.test", "First")
	tests := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"everything missing", map[string]string{}, 422, []string{"email", "password", "full_name", "organization_name"}},
		{"bad email", map[string]string{"email": "not-an-email", "password": goodPassword, "full_name": "A", "organization_name": "O"}, 422, []string{"email"}},
		{"short password", map[string]string{"email": "a@example.test", "password": "short", "full_name": "A", "organization_name": "O"}, 422, []string{"password"}},
		{"password is the email", map[string]string{"email": "longer.name@example.test", "password": "Longer.Name@example.test", "full_name": "A", "organization_name": "O"}, 422, []string{"password"}},
		{"password too long", map[string]string{"email": "a@example.test", "password": strings.Repeat("x", 129), "full_name": "A", "organization_name": "O"}, 422, []string{"password"}},
		{"unknown field", map[string]any{"email": "a@example.test", "password": goodPassword, "full_name": "A", "organization_name": "O", "org_id": "x"}, 422, []string{"org_id"}},
		{"NUL in name", map[string]string{"email": "a@example.test", "password": goodPassword, "full_name": "A\x00B", "organization_name": "O"}, 422, []string{"full_name"}},
		{"duplicate email, other case", map[string]string{"email": " TAKEN@example.test", "password": goodPassword, "full_name": "A", "organization_name": "O"}, 409, []string{"email"}},
		{"malformed JSON", `{"email":`, 400, []string{"body"}},
		{"wrong type", `{"email": 5}`, 422, []string{"email"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(http.MethodPost, "/api/v1/auth/register", "", tc.body)
			expect(t, r, tc.status, tc.name)
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			p := decode[problemJSON](t, r)
			for _, f := range tc.fields {
				if !p.hasField(f) {
					t.Errorf("problem %s does not name field %q", r.Body, f)
				}
			}
		})
	}
}

// TestLoginLockout: five failures lock the email (even the right password is
// refused), the lock doubles the next time, and an unknown email behaves
// byte for byte like a real one.
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("lock@example.test", "Lock Co")
	const known, unknown = "lock@example.test", "nobody@example.test"

	// Same request id for every call, so the problem bodies can be compared.
	attempt := func(email, password string) response {
		return e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password},
			"X-Request-ID", "fixed-request-id")
	}
	same := func(step string, a, b response) {
		t.Helper()
		if a.Status != b.Status || string(a.Body) != string(b.Body) || a.Header.Get("Retry-After") != b.Header.Get("Retry-After") {
			t.Fatalf("%s: known and unknown email answer differently:\n known:   %s (Retry-After %q)\n unknown: %s (Retry-After %q)",
				step, a, a.Header.Get("Retry-After"), b, b.Header.Get("Retry-After"))
		}
	}
	rounds := 0
	lockRound := func(round int, wantRetry string) {
		t.Helper()
		rounds++
		for range domain.MaxFailures {
			k, u := attempt(known, "wrong password!!"), attempt(unknown, "wrong password!!")
			expect(t, k, http.StatusUnauthorized, "wrong password")
			if p := decode[problemJSON](t, k); p.reason() != "invalid_credentials" {
				t.Fatalf("reason = %q", p.reason())
			}
			same("failure", k, u)
		}
		k, u := attempt(known, goodPassword), attempt(unknown, goodPassword)
		expect(t, k, http.StatusLocked, "right password while locked")
		if p := decode[problemJSON](t, k); p.reason() != "account_locked" {
			t.Fatalf("locked reason = %q", p.reason())
		}
		if got := k.Header.Get("Retry-After"); got != wantRetry {
			t.Fatalf("round %d: Retry-After = %q, want %q", round, got, wantRetry)
		}
		same("locked", k, u)
	}

	lockRound(1, "60")
	e.clock.Advance(30 * time.Second)
	if got := attempt(known, goodPassword).Header.Get("Retry-After"); got != "30" {
		t.Fatalf("Retry-After half-way = %q, want 30", got)
	}
	e.clock.Advance(31 * time.Second)
	e.login(known, goodPassword) // the lock is over; success clears the streak
	lockRound(2, "120")
	e.clock.Advance(121 * time.Second)
	lockRound(3, "240")

	// Attempts were recorded, the known ones under the organisation: at
	// least the failures of every round, for each email.
	failures := rounds * domain.MaxFailures
	if n := scalar[int](e, `SELECT count(*) FROM identity.login_attempts WHERE org_id IS NOT NULL AND NOT success`); n < failures {
		t.Errorf("failed attempts recorded for the known email = %d, want at least %d", n, failures)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.login_attempts WHERE org_id IS NULL`); n < failures {
		t.Errorf("attempts recorded for the unknown email = %d, want at least %d", n, failures)
	}
	// One lockout per round and email.
	if n := scalar[int](e, `SELECT count(*) FROM identity.outbox WHERE payload->>'type' = 'reos.identity.account.locked'`); n != 2*rounds {
		t.Errorf("account.locked events = %d, want %d (%d rounds × 2 emails)", n, 2*rounds, rounds)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("rot@example.test", "Rot Co")
	refresh := func(tok string) response {
		return e.call(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok})
	}

	first := e.login("rot@example.test", goodPassword)
	r := refresh(first.RefreshToken)
	expect(t, r, http.StatusOK, "first rotation")
	second := decode[pairJSON](t, r)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("rotation returned the same tokens")
	}
	expect(t, e.call(http.MethodGet, "/api/v1/auth/me", second.AccessToken, nil), http.StatusOK, "me with rotated token")

	// Reusing the rotated-out token revokes the whole family: the newest
	// refresh token stops working too.
	expect(t, refresh(first.RefreshToken), http.StatusUnauthorized, "reuse of the old refresh token")
	expect(t, refresh(second.RefreshToken), http.StatusUnauthorized, "newest token after reuse")
	family := sidOf(t, first.AccessToken)
	if n, all := scalar[int](e, `SELECT count(*) FROM identity.refresh_tokens WHERE revoke_reason = 'reuse_detected'`),
		scalar[int](e, `SELECT count(*) FROM identity.refresh_tokens WHERE family_id = $1`, family); n != all || n < 2 {
		t.Errorf("tokens revoked for reuse = %d, want every one of the login's %d (the first and its rotation at least)", n, all)
	}

	// Another login is another family, unaffected; logout ends it.
	third := e.login("rot@example.test", goodPassword)
	expect(t, e.call(http.MethodPost, "/api/v1/auth/logout", "", map[string]string{"refresh_token": third.RefreshToken}), http.StatusNoContent, "logout")
	expect(t, refresh(third.RefreshToken), http.StatusUnauthorized, "refresh after logout")
	expect(t, e.call(http.MethodPost, "/api/v1/auth/logout", "", map[string]string{"refresh_token": third.RefreshToken}), http.StatusNoContent, "second logout")

	// An access token is not a refresh token, and junk is refused.
	expect(t, refresh(third.AccessToken), http.StatusUnauthorized, "access token as refresh token")
	expect(t, refresh("junk"), http.StatusUnauthorized, "junk refresh token")
	expect(t, refresh(""), http.StatusUnprocessableEntity, "empty refresh token")
}

// TestTokensRejected checks, through GET /auth/me, the tokens the service's
// own verifier must refuse.
func TestTokensRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("tok@example.test", "Tok Co")
	pair := e.login("tok@example.test", goodPassword)
	ended := e.login("tok@example.test", goodPassword)
	expect(t, e.call(http.MethodPost, "/api/v1/auth/logout", "", map[string]string{"refresh_token": ended.RefreshToken}), http.StatusNoContent, "logout")
	now := time.Now()
	claims := func(mod func(*auth.Claims)) auth.Claims {
		c := auth.Claims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer: testIssuer, Subject: u.ID, Audience: jwt.ClaimStrings{testAudience}, ID: "x",
				IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
			},
			OrgID: u.OrgID, Roles: []string{"admin"}, Perms: []string{"*"}, TokenUse: auth.TokenUseAccess, Email: u.Email,
			SessionID: "01900000-0000-7000-8000-00000000c0de",
		}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&e.key.PublicKey))})
	hs256 := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
	hs256.Header["kid"] = e.signer.KeyID()
	hsToken := must(hs256.SignedString(pubPEM))
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims(nil))
	none.Header["kid"] = e.signer.KeyID()
	noneToken := must(none.SignedString(jwt.UnsafeAllowNoneSignatureType))

	tests := []struct {
		name, token string
		status      int
	}{
		{"valid hand-made token (control)", e.sign(claims(nil)), 200},
		{"alg none", noneToken, 401},
		{"HS256 keyed with the public key", hsToken, 401},
		{"wrong audience", e.sign(claims(func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"someone-else"} })), 401},
		{"wrong issuer", e.sign(claims(func(c *auth.Claims) { c.Issuer = "evil" })), 401},
		{"expired", e.sign(claims(func(c *auth.Claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(-2 * time.Hour))
			c.NotBefore = c.IssuedAt
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour))
		})), 401},
		{"refresh token as access token", pair.RefreshToken, 401},
		{"no session id", e.sign(claims(func(c *auth.Claims) { c.SessionID = "" })), 401},
		{"a session that ended", e.sign(claims(func(c *auth.Claims) { c.SessionID = sidOf(t, ended.AccessToken) })), 401},
		{"garbage", "not.a.token", 401},
		{"tampered payload", tamper(pair.AccessToken), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(http.MethodGet, "/api/v1/auth/me", tc.token, nil)
			expect(t, r, tc.status, tc.name)
			if tc.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
	expect(t, e.call(http.MethodGet, "/api/v1/auth/me", "", nil), http.StatusUnauthorized, "no token")
}

// tamper changes the payload of a JWT without re-signing it.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"admin"`, `"owner"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("pw@example.test", "Pw Co")
	pair := e.login("pw@example.test", goodPassword)
	change := func(cur, next string) response {
		return e.call(http.MethodPost, "/api/v1/auth/password", pair.AccessToken,
			map[string]string{"current_password": cur, "new_password": next})
	}
	r := change("not my password", "a brand new password")
	expect(t, r, http.StatusUnprocessableEntity, "wrong current password")
	if !decode[problemJSON](t, r).hasField("current_password") {
		t.Errorf("problem does not name current_password: %s", r)
	}
	r = change(goodPassword, "short")
	expect(t, r, http.StatusUnprocessableEntity, "weak new password")
	if !decode[problemJSON](t, r).hasField("new_password") {
		t.Errorf("problem does not name new_password: %s", r)
	}
	expect(t, change(goodPassword, "a brand new password"), http.StatusNoContent, "change")
	// Every refresh token of the user is revoked; the new password works.
	expect(t, e.call(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": pair.RefreshToken}),
		http.StatusUnauthorized, "refresh after password change")
	expect(t, e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "pw@example.test", "password": goodPassword}),
		http.StatusUnauthorized, "old password")
	e.login("pw@example.test", "a brand new password")
	if n := scalar[int](e, `SELECT count(*) FROM identity.outbox WHERE payload->>'type' = 'reos.identity.password.changed'`); n != 1 {
		t.Errorf("password.changed events = %d", n)
	}
}
