package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/testkit"
)

// TestSessions starts its own stack (with its own rate-limit keys, so the
// auth limit TestStack exhausts at its end does not reach it) and runs the
// scenarios of issue 9's defects 1, 2 and 4: admin actions on users
// (identity_admin_e2e_test.go) and sessions that end at once.
func TestSessions(t *testing.T) {
	t.Setenv("RATE_LIMIT_PREFIX", "reos:e2e:"+testkit.UniqueName(t, "sessions")+":rl:")
	s := startStack(t)
	t.Run("admin actions on users", func(t *testing.T) { identityAdminScenarios(t, s) })
	t.Run("ended sessions end their access tokens within a second", func(t *testing.T) { revocationScenarios(t, s) })
}

// orgUser is a signed-in user of the scenarios' organisation.
type orgUser struct {
	ID, Email string
	Pair      tokenPair
}

// newOrg registers an organisation and signs its admin in.
func newOrg(t *testing.T, s *Stack, name string) orgUser {
	t.Helper()
	email := strings.ToLower(testkit.UniqueName(t, name)) + "@example.test"
	r := do(t, http.MethodPost, s.API()+"/auth/register", "", map[string]string{
		"email": email, "password": e2ePassword, "full_name": "Admin of " + name, "organization_name": name + " Realty",
	})
	expectStatus(t, r, http.StatusCreated, "register "+name)
	var u struct{ ID string }
	r.json(t, &u)
	return orgUser{ID: u.ID, Email: email, Pair: signIn(t, s, email, e2ePassword)}
}

// e2ePassword is every scenario user's password.
const e2ePassword = "sessions end password 1"

func signIn(t *testing.T, s *Stack, email, password string) tokenPair {
	t.Helper()
	r := do(t, http.MethodPost, s.API()+"/auth/login", "", map[string]string{"email": email, "password": password})
	expectStatus(t, r, http.StatusOK, "login "+email)
	var p tokenPair
	r.json(t, &p)
	return p
}

// addUser has admin create a user with roles and signs it in.
func addUser(t *testing.T, s *Stack, admin orgUser, name string, roles ...string) orgUser {
	t.Helper()
	email := strings.ToLower(testkit.UniqueName(t, name)) + "@example.test"
	r := do(t, http.MethodPost, s.API()+"/admin/users", admin.Pair.AccessToken, map[string]any{
		"email": email, "password": e2ePassword, "full_name": "User " + name, "roles": roles,
	})
	expectStatus(t, r, http.StatusCreated, "create "+name)
	var u struct{ ID string }
	r.json(t, &u)
	return orgUser{ID: u.ID, Email: email, Pair: signIn(t, s, email, e2ePassword)}
}

// probes are the places an access token is checked: through nginx and the
// gateway (identity's and property's routes, the gateway's token cache in
// front), and at identity and property directly.
func probes(s *Stack) map[string]string {
	return map[string]string{
		// Not /auth/me through the gateway: /auth/* shares the strict
		// per-IP auth limit, which these polls would use up.
		"gateway → identity": s.API() + "/users?limit=1",
		"gateway → property": s.API() + "/properties?limit=1",
		"identity directly":  s.URLs["identity"] + "/api/v1/auth/me",
		"property directly":  s.URLs["property"] + "/api/v1/properties?limit=1",
	}
}

// works checks that the token is accepted everywhere (which also puts it
// in the gateway's token cache).
func works(t *testing.T, s *Stack, token, what string) {
	t.Helper()
	for where, url := range probes(s) {
		for range 2 {
			if r := do(t, http.MethodGet, url, token, nil); r.Status != http.StatusOK {
				t.Fatalf("%s, %s: got %d %s, want 200", what, where, r.Status, r.Body)
			}
		}
	}
}

// endedEverywhere polls, for at most a second in all, until the token is
// refused with 401 session_revoked at every probe.
func endedEverywhere(t *testing.T, s *Stack, token, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for where, url := range probes(s) {
		var r response
		testkit.Eventually(t, max(time.Until(deadline), 0), func() bool {
			r = do(t, http.MethodGet, url, token, nil)
			var p struct{ Type string }
			_ = json.Unmarshal(r.Body, &p)
			return r.Status == http.StatusUnauthorized && strings.HasSuffix(p.Type, "/session_revoked")
		}, func() string {
			return fmt.Sprintf("%s, %s: a second later still %d %s, want 401 session_revoked", what, where, r.Status, r.Body)
		})
	}
}

// revocationScenarios: after each of the five ways a session ends, the old
// access token, accepted before (and cached by the gateway), is refused
// within a second through the gateway and by the services themselves.
func revocationScenarios(t *testing.T, s *Stack) {
	admin := newOrg(t, s, "revoke")
	cases := []struct {
		name string
		end  func(t *testing.T, victim orgUser) response
		want int
	}{
		{"logout", func(t *testing.T, v orgUser) response {
			return do(t, http.MethodPost, s.API()+"/auth/logout", "", map[string]string{"refresh_token": v.Pair.RefreshToken})
		}, http.StatusNoContent},
		{"password change", func(t *testing.T, v orgUser) response {
			return do(t, http.MethodPost, s.API()+"/auth/password", v.Pair.AccessToken,
				map[string]string{"current_password": e2ePassword, "new_password": "a completely new password"})
		}, http.StatusNoContent},
		{"admin reset", func(t *testing.T, v orgUser) response {
			return do(t, http.MethodPost, s.API()+"/admin/users/"+v.ID+"/reset-password", admin.Pair.AccessToken, nil)
		}, http.StatusOK},
		{"role downgrade", func(t *testing.T, v orgUser) response {
			return do(t, http.MethodPut, s.API()+"/admin/users/"+v.ID+"/roles", admin.Pair.AccessToken, map[string]any{"roles": []string{"viewer"}})
		}, http.StatusOK},
		{"user deletion", func(t *testing.T, v orgUser) response {
			return do(t, http.MethodDelete, s.API()+"/users/"+v.ID, admin.Pair.AccessToken, nil)
		}, http.StatusNoContent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			victim := addUser(t, s, admin, "victim", "sales")
			works(t, s, victim.Pair.AccessToken, "before the "+tc.name)
			expectStatus(t, tc.end(t, victim), tc.want, tc.name)
			endedEverywhere(t, s, victim.Pair.AccessToken, "after the "+tc.name)
			works(t, s, admin.Pair.AccessToken, "the admin's own session after the "+tc.name)
		})
	}
}
