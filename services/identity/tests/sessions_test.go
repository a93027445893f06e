package tests

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/testkit"
	"reos.dev/services/identity/internal/server"
)

// ended waits (at most a second, the promise) until the access token is
// refused by identity itself with session_revoked and its session is listed
// by another process following the revocations.
func (e *env) ended(t *testing.T, token, what string) {
	t.Helper()
	sid := sidOf(t, token)
	var last response
	var listed bool
	var listErr error
	testkit.Eventually(t, time.Second, func() bool {
		last = e.call(http.MethodGet, "/api/v1/auth/me", token, nil)
		listed, listErr = e.peer.Revoked(sid)
		return last.Status == http.StatusUnauthorized && listErr == nil && listed
	}, "%s: %v", what, lazy(func() string {
		return fmt.Sprintf("identity answers %d and another process lists the session: %v (%v)", last.Status, listed, listErr)
	}))
	if got := decode[problemJSON](t, last).reason(); got != auth.ReasonSessionRevoked {
		t.Errorf("%s: reason = %q, want %s", what, got, auth.ReasonSessionRevoked)
	}
}

// alive checks that the access token still works.
func (e *env) alive(t *testing.T, token, what string) {
	t.Helper()
	expect(t, e.call(http.MethodGet, "/api/v1/auth/me", token, nil), http.StatusOK, what)
	if revoked, err := e.peer.Revoked(sidOf(t, token)); revoked || err != nil {
		t.Fatalf("%s: listed as revoked (%v, %v)", what, revoked, err)
	}
}

// TestEndingASessionEndsItsAccessTokens: after each of the five ways a
// session ends, the old access token is refused within a second, by
// identity and by every other process; the ending is recorded as an event.
func TestEndingASessionEndsItsAccessTokens(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// allSessions: the user's every session ends, not just the one.
		allSessions bool
		end         func(e *env, adminTok string, victim userJSON, session pairJSON) response
		status      int
	}{
		{"logout", false, func(e *env, _ string, _ userJSON, s pairJSON) response {
			return e.call(http.MethodPost, "/api/v1/auth/logout", "", map[string]string{"refresh_token": s.RefreshToken})
		}, http.StatusNoContent},
		{"password change", true, func(e *env, _ string, _ userJSON, s pairJSON) response {
			return e.call(http.MethodPost, "/api/v1/auth/password", s.AccessToken,
				map[string]string{"current_password": goodPassword, "new_password": "another good password"})
		}, http.StatusNoContent},
		{"admin reset", true, func(e *env, admin string, v userJSON, _ pairJSON) response {
			return e.call(http.MethodPost, "/api/v1/admin/users/"+v.ID+"/reset-password", admin, nil)
		}, http.StatusOK},
		{"role downgrade", true, func(e *env, admin string, v userJSON, _ pairJSON) response {
			return e.call(http.MethodPut, "/api/v1/admin/users/"+v.ID+"/roles", admin, map[string]any{"roles": []string{"viewer"}})
		}, http.StatusOK},
		{"user deletion", true, func(e *env, admin string, v userJSON, _ pairJSON) response {
			return e.call(http.MethodDelete, "/api/v1/users/"+v.ID, admin, nil)
		}, http.StatusNoContent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.register("boss@sessions.test", "Sessions Co")
			adminTok := e.login("boss@sessions.test", goodPassword).AccessToken
			victim := e.createUser(adminTok, "victim@sessions.test", "sales")
			one, other := e.login("victim@sessions.test", goodPassword), e.login("victim@sessions.test", goodPassword)
			if sidOf(t, one.AccessToken) == "" || sidOf(t, one.AccessToken) != sidOf(t, one.RefreshToken) {
				t.Fatalf("a token pair must share its sid: %q / %q", sidOf(t, one.AccessToken), sidOf(t, one.RefreshToken))
			}
			e.alive(t, one.AccessToken, "before")
			e.alive(t, other.AccessToken, "the other session before")

			expect(t, tc.end(e, adminTok, victim, one), tc.status, tc.name)
			e.ended(t, one.AccessToken, tc.name)
			if tc.allSessions {
				e.ended(t, other.AccessToken, tc.name+": the user's other session")
			} else {
				e.alive(t, other.AccessToken, tc.name+": the user's other session")
			}
			e.alive(t, adminTok, "the admin's own session")
			n := scalar[int](e, `SELECT count(*) FROM identity.outbox WHERE payload->>'type' = 'reos.identity.session.revoked'
				AND payload::jsonb->'data'->'session_ids' ? $1 AND payload->'data'->>'user_id' = $2`, sidOf(t, one.AccessToken), victim.ID)
			if n != 1 {
				t.Errorf("session.revoked events naming the session = %d, want 1", n)
			}
		})
	}
}

// TestRefreshKeepsTheSession: a refreshed pair keeps the login's sid, so
// ending the login ends the refreshed access token too.
func TestRefreshKeepsTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("r@sessions.test", "Refresh Co")
	first := e.login("r@sessions.test", goodPassword)
	r := e.call(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken})
	expect(t, r, http.StatusOK, "refresh")
	next := decode[pairJSON](t, r)
	if sidOf(t, next.AccessToken) != sidOf(t, first.AccessToken) {
		t.Fatalf("refresh changed the sid")
	}
	// Presenting the rotated-out refresh token again is a reuse: the whole
	// login ends, its latest access token included.
	expect(t, e.call(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken}),
		http.StatusUnauthorized, "reuse")
	e.ended(t, next.AccessToken, "after reuse")
}

// TestRoleChangesEndSessions: replacing a user's roles ends its sessions
// only when they change; narrowing a role ends its holders' sessions,
// widening it does not (their tokens hold less than they may, never more).
func TestRoleChangesEndSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("boss@roles-sessions.test", "Role Sessions Co")
	adminTok := e.login("boss@roles-sessions.test", goodPassword).AccessToken
	r := e.call(http.MethodPost, "/api/v1/roles", adminTok, map[string]any{"name": "closer", "permissions": []string{"deals:read", "deals:write"}})
	expect(t, r, http.StatusCreated, "create role")
	closer := decode[struct{ ID string }](t, r)
	holder := e.createUser(adminTok, "holder@roles-sessions.test", "closer")
	e.createUser(adminTok, "bystander@roles-sessions.test", "viewer")
	tok := e.login("holder@roles-sessions.test", goodPassword).AccessToken
	byTok := e.login("bystander@roles-sessions.test", goodPassword).AccessToken

	expect(t, e.call(http.MethodPut, "/api/v1/admin/users/"+holder.ID+"/roles", adminTok, map[string]any{"roles": []string{"closer"}}),
		http.StatusOK, "the same roles again")
	e.alive(t, tok, "after setting the roles it already has")
	expect(t, e.call(http.MethodPut, "/api/v1/roles/"+closer.ID, adminTok, map[string]any{"name": "closer", "permissions": []string{"deals:read", "deals:write", "leads:read"}}),
		http.StatusOK, "widen the role")
	e.alive(t, tok, "after widening the role")

	expect(t, e.call(http.MethodPut, "/api/v1/roles/"+closer.ID, adminTok, map[string]any{"name": "closer", "permissions": []string{"deals:read"}}),
		http.StatusOK, "narrow the role")
	e.ended(t, tok, "after narrowing the role")
	e.alive(t, byTok, "a user without the role")
	// Signing in again gives the narrowed permissions.
	r = e.call(http.MethodGet, "/api/v1/auth/me", e.login("holder@roles-sessions.test", goodPassword).AccessToken, nil)
	if me := decode[meJSON](t, r); len(me.Permissions) != 1 || me.Permissions[0] != "deals:read" {
		t.Errorf("permissions after signing in again = %v", me.Permissions)
	}
}

// cuttableRedis is a Redis client whose connections the test can cut and
// whose new ones it can refuse: an outage seen by identity alone.
type cuttableRedis struct {
	*redis.Client
	mu    sync.Mutex
	conns []net.Conn
	down  atomic.Bool
}

func newCuttableRedis(t *testing.T) *cuttableRedis {
	t.Helper()
	base, _ := testkit.Redis(t)
	c := &cuttableRedis{}
	opts := *base.Options()
	opts.MaxRetries = -1
	opts.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if c.down.Load() {
			return nil, errors.New("redis is down (test)")
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			c.mu.Lock()
			c.conns = append(c.conns, conn)
			c.mu.Unlock()
		}
		return conn, err
	}
	c.Client = redis.NewClient(&opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (c *cuttableRedis) cut() {
	c.down.Store(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.conns = nil
}

// TestSessionSyncClosesTheGap: when the announcement fails after the
// commit (Redis unreachable from identity), the logout still stands, identity
// refuses the token itself, and the session sync announces it to everyone
// once Redis answers again.
func TestSessionSyncClosesTheGap(t *testing.T) {
	t.Parallel()
	flaky := newCuttableRedis(t)
	e := newEnv(t, withIdentityRedis(flaky))
	e.register("gap@sessions.test", "Gap Co")
	pair := e.login("gap@sessions.test", goodPassword)
	sid := sidOf(t, pair.AccessToken)

	flaky.cut()
	expect(t, e.call(http.MethodPost, "/api/v1/auth/logout", "", map[string]string{"refresh_token": pair.RefreshToken}),
		http.StatusNoContent, "logout while Redis is unreachable")
	r := e.call(http.MethodGet, "/api/v1/auth/me", pair.AccessToken, nil)
	expect(t, r, http.StatusUnauthorized, "identity itself after the logout")
	// The write failed before the answer: no announcement is on its way.
	if revoked, err := e.peer.Revoked(sid); revoked || err != nil {
		t.Fatalf("another process learnt of the logout through a Redis identity could not reach: %v %v", revoked, err)
	}

	flaky.down.Store(false)
	sync, err := server.SessionSync(e.db.Pool(t, "identity_app"), e.revocations, 0, 0, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	n, err := sync.Sync(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("sync = %d, %v; want the 1 ended session", n, err)
	}
	e.ended(t, pair.AccessToken, "after the session sync")
}
