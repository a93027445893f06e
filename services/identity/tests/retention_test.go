package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/server"
)

// retentionLockKey is the advisory lock key of the retention runs
// (adapters/postgres): tests hold it to play another replica.
const retentionLockKey int64 = 0x6964656e74697479

func (e *env) retention(cfg app.RetentionConfig) *app.Retention {
	e.t.Helper()
	r, err := server.Retention(e.db.Pool(e.t, "identity_app"), cfg, logging.Discard())
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	if _, err := e.admin.Exec(e.t.Context(), query, args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
}

// addAttempts inserts n login attempts of org (NULL for unknown emails)
// created `age` ago, tagged with reason so the test can count them.
func (e *env) addAttempts(org, user *string, reason string, age time.Duration, n int) {
	e.t.Helper()
	e.exec(`INSERT INTO identity.login_attempts (id, org_id, user_id, email_key, ip, user_agent, success, reason, created_at)
		SELECT gen_random_uuid(), $1, $2, 'k', '192.0.2.1', 'test', false, $3, now() - $4::interval
		FROM generate_series(1, $5)`, org, user, reason, age, n)
}

func TestRetentionPrunesLoginAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.register("a@example.test", "A Co"), e.register("b@example.test", "B Co")
	const keep = 90 * 24 * time.Hour
	for _, o := range []*userJSON{&a, &b, nil} {
		var org, user *string
		if o != nil {
			org, user = &o.OrgID, &o.ID
		}
		e.addAttempts(org, user, "old", keep+time.Hour, 10)
		e.addAttempts(org, user, "recent", keep-time.Hour, 3)
	}
	// Attempts written by real logins today stay too.
	e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "nobody@example.test", "password": "wrong password!!"})
	e.login("a@example.test", goodPassword)
	before := scalar[int](e, `SELECT count(*) FROM identity.login_attempts WHERE reason NOT IN ('old', 'recent')`)

	// A batch of 7 deletes the 30 old rows in five statements.
	r := e.retention(app.RetentionConfig{AttemptRetention: keep, BatchSize: 7})
	rep, err := r.Prune(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attempts != 30 || rep.Skipped {
		t.Errorf("report = %+v, want 30 attempts deleted", rep)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.login_attempts WHERE reason = 'old'`); n != 0 {
		t.Errorf("old attempts left = %d", n)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.login_attempts WHERE reason = 'recent'`); n != 9 {
		t.Errorf("recent attempts left = %d, want 9 (3 per org and unknown)", n)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.login_attempts WHERE reason NOT IN ('old', 'recent')`); n != before || n < 2 {
		t.Errorf("today's attempts = %d, want %d", n, before)
	}
	if rep, err := r.Prune(t.Context()); err != nil || rep.Attempts != 0 {
		t.Errorf("second run = %+v, %v; want nothing deleted", rep, err)
	}
}

func TestRetentionPrunesRefreshTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("rot@example.test", "Rot Co")
	refresh := func(tok string) response {
		return e.call(http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok})
	}
	const keep = time.Hour
	r := e.retention(app.RetentionConfig{RefreshRetention: keep, BatchSize: 2})
	prune := func() app.RetentionReport {
		t.Helper()
		rep, err := r.Prune(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	// Rows whose token expired long ago go, whatever their state; one that
	// expired within the retention stays.
	for range 3 {
		e.login("rot@example.test", goodPassword)
	}
	e.exec(`UPDATE identity.refresh_tokens SET expires_at = now() - interval '2 hours', issued_at = now() - interval '3 hours'`)
	e.login("rot@example.test", goodPassword)
	e.exec(`UPDATE identity.refresh_tokens SET expires_at = now() - interval '30 minutes' WHERE expires_at > now()`)
	if rep := prune(); rep.RefreshTokens != 3 {
		t.Errorf("expired rows deleted = %d, want 3", rep.RefreshTokens)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.refresh_tokens`); n != 1 {
		t.Fatalf("rows left = %d, want the one expired within the retention", n)
	}

	// A live family: the rotated-out token stays, however old, while the
	// family's newest token is live, so presenting it is still a reuse.
	first := e.login("rot@example.test", goodPassword)
	rr := refresh(first.RefreshToken)
	expect(t, rr, http.StatusOK, "rotation")
	second := decode[pairJSON](t, rr)
	e.exec(`UPDATE identity.refresh_tokens SET used_at = now() - interval '20 days' WHERE used_at IS NOT NULL`)
	// A revoked row long ago in a family that still has a live token
	// (a rotation that raced the revocation) stays as well.
	e.exec(`INSERT INTO identity.refresh_tokens (id, org_id, user_id, family_id, issued_at, expires_at, revoked_at, revoke_reason)
		SELECT gen_random_uuid(), org_id, user_id, family_id, now() - interval '20 days', now() + interval '10 days',
		       now() - interval '20 days', 'logout'
		FROM identity.refresh_tokens WHERE used_at IS NOT NULL`)
	if rep := prune(); rep.RefreshTokens != 0 {
		t.Fatalf("live family: %d rows deleted, want 0", rep.RefreshTokens)
	}
	expect(t, refresh(first.RefreshToken), http.StatusUnauthorized, "reuse of the rotated-out token")
	expect(t, refresh(second.RefreshToken), http.StatusUnauthorized, "newest token after reuse")
	if n := scalar[int](e, `SELECT count(*) FROM identity.refresh_tokens WHERE revoke_reason = 'reuse_detected'`); n != 2 {
		t.Errorf("tokens revoked for reuse = %d, want 2", n)
	}

	// The family is dead now: the row revoked 20 days ago goes, the two
	// just revoked stay for the retention…
	if rep := prune(); rep.RefreshTokens != 1 {
		t.Fatalf("dead family: %d rows deleted, want the 1 revoked long ago", rep.RefreshTokens)
	}
	// …and go after it: the family has no live token, and the tokens still
	// get the same answer from a missing row as from a revoked one.
	e.exec(`UPDATE identity.refresh_tokens SET revoked_at = now() - interval '2 hours' WHERE revoked_at IS NOT NULL`)
	if rep := prune(); rep.RefreshTokens != 2 {
		t.Errorf("dead family after the retention: %d rows deleted, want 2", rep.RefreshTokens)
	}
	expect(t, refresh(first.RefreshToken), http.StatusUnauthorized, "pruned rotated-out token")
	expect(t, refresh(second.RefreshToken), http.StatusUnauthorized, "pruned revoked token")
	expect(t, e.call(http.MethodPost, "/api/v1/auth/logout", "", map[string]string{"refresh_token": second.RefreshToken}),
		http.StatusNoContent, "logout with a pruned token")

	// A live login is untouched and keeps working.
	live := e.login("rot@example.test", goodPassword)
	prune()
	expect(t, refresh(live.RefreshToken), http.StatusOK, "live token after pruning")
}

func TestRetentionPrunesThrottles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("lock@example.test", "Lock Co")
	fail := func(email string) response {
		return e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": "wrong password!!"})
	}
	for range 5 {
		fail("lock@example.test")
	}
	fail("idle@example.test")
	fail("was-locked@example.test")
	fail("recent@example.test")
	fail("lockout-memory@example.test")
	key := func(email string) string {
		return scalar[string](e, `SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')`, email)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.login_throttles WHERE locked_until > now()`); n != 1 {
		t.Fatalf("running lockouts = %d, want 1", n)
	}
	// Every row but "recent" and "lockout-memory" looks untouched for 200
	// days; "was-locked" had a lockout that ended long ago.
	e.exec(`UPDATE identity.login_throttles SET updated_at = now() - interval '200 days'`)
	e.exec(`UPDATE identity.login_throttles SET updated_at = now() - interval '2 hours' WHERE email_key = $1`, key("lockout-memory@example.test"))
	e.exec(`UPDATE identity.login_throttles SET updated_at = now() WHERE email_key = $1`, key("recent@example.test"))
	e.exec(`UPDATE identity.login_throttles SET locked_until = now() - interval '199 days', lockouts = 1 WHERE email_key = $1`, key("was-locked@example.test"))

	// Attempt retention 1h: throttles still get the lockout memory (24h).
	rep, err := e.retention(app.RetentionConfig{AttemptRetention: time.Hour, BatchSize: 1}).Prune(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Throttles != 2 {
		t.Errorf("throttles deleted = %d, want 2 (idle, was-locked)", rep.Throttles)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.login_throttles`); n != 3 {
		t.Errorf("throttles left = %d, want 3 (locked, recent, lockout-memory)", n)
	}
	// The running lockout is intact.
	r := e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "lock@example.test", "password": goodPassword})
	expect(t, r, http.StatusLocked, "login during the lockout after pruning")
	// A pruned throttle is simply created again.
	expect(t, fail("idle@example.test"), http.StatusUnauthorized, "failure after pruning")
}

func TestRetentionFunctionsAndRLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.register("a@example.test", "A Co"), e.register("b@example.test", "B Co")
	e.addAttempts(&a.OrgID, &a.ID, "a", time.Minute, 2)
	e.addAttempts(&b.OrgID, &b.ID, "b", time.Minute, 2)
	e.addAttempts(nil, nil, "unknown", time.Minute, 2)
	ctx := t.Context()

	// No EXECUTE for PUBLIC; identity_app only; definer rights with a fixed
	// search_path.
	for _, fn := range []string{"prune_login_attempts", "prune_refresh_tokens", "prune_login_throttles"} {
		sig := "identity." + fn + "(interval, integer)"
		if n := scalar[int](e, `SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) x
			WHERE p.oid = $1::regprocedure AND x.grantee = 0`, sig); n != 0 {
			t.Errorf("%s: PUBLIC may execute it", fn)
		}
		if !scalar[bool](e, `SELECT p.proacl IS NOT NULL AND p.prosecdef AND p.proconfig @> ARRAY['search_path=identity, pg_temp']
			FROM pg_proc p WHERE p.oid = $1::regprocedure`, sig) {
			t.Errorf("%s: not SECURITY DEFINER with a fixed search_path, or default (PUBLIC) privileges", fn)
		}
		if !scalar[bool](e, `SELECT has_function_privilege('identity_app', $1::regprocedure, 'EXECUTE')`, sig) {
			t.Errorf("%s: identity_app may not execute it", fn)
		}
	}
	// The retention policies are the owner's only.
	if n := scalar[int](e, `SELECT count(*) FROM pg_policies WHERE schemaname = 'identity' AND policyname LIKE '%retention%'
		AND ('identity_app' = ANY(roles) OR 'public' = ANY(roles))`); n != 0 {
		t.Errorf("%d retention policies apply to the service role", n)
	}

	app := e.db.Pool(t, "identity_app")
	// The functions floor the retention and clamp the batch: called with
	// keep 0 and a huge limit they delete nothing recent.
	var n int
	if err := app.QueryRow(ctx, `SELECT identity.prune_login_attempts('0', 2147483647)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("prune_login_attempts(0) = %d, %v; want 0 deleted", n, err)
	}
	if err := app.QueryRow(ctx, `SELECT identity.prune_login_attempts('-1000 years', -5)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("prune_login_attempts(-1000 years) = %d, %v; want 0 deleted", n, err)
	}
	// Any other path is row-level security as before: org A's delete-all
	// reaches A's rows only; without an organisation, none.
	err := postgres.InOrgTx(ctx, app, a.OrgID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM identity.login_attempts`)
		if err == nil && tag.RowsAffected() != 2 {
			t.Errorf("org A deleted %d attempts, want its own 2", tag.RowsAffected())
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM identity.refresh_tokens`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = postgres.InTx(ctx, app, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM identity.login_attempts`)
		if err == nil && tag.RowsAffected() != 0 {
			t.Errorf("no org deleted %d attempts, want 0", tag.RowsAffected())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := scalar[int](e, `SELECT count(*) FROM identity.login_attempts WHERE reason IN ('b', 'unknown')`); got != 4 {
		t.Errorf("B's and unknown attempts left = %d, want 4", got)
	}
}

func TestRetentionLockAndWorker(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const countOld = `SELECT count(*) FROM identity.login_attempts WHERE reason = 'old'`
	old := func() int { return scalar[int](e, countOld) }
	e.addAttempts(nil, nil, "old", 100*24*time.Hour, 3)

	// Another replica holds the lock: this one skips and deletes nothing.
	tx, err := e.admin.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), `SELECT pg_advisory_xact_lock($1)`, retentionLockKey); err != nil {
		t.Fatal(err)
	}
	rep, err := e.retention(app.RetentionConfig{}).Prune(t.Context())
	if err != nil || !rep.Skipped || rep.Attempts != 0 || old() != 3 {
		t.Fatalf("while locked: %+v, %v, %d old left; want skipped", rep, err, old())
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}

	// The worker prunes at once and then on every interval.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.retention(app.RetentionConfig{Interval: 50 * time.Millisecond}).Run(ctx) }()
	waitFor := func(what string) {
		t.Helper()
		var n int
		var err error
		testkit.Eventually(t, 10*time.Second, func() bool {
			err = e.admin.QueryRow(t.Context(), countOld).Scan(&n)
			return err == nil && n == 0
		}, "%s: %v", what, lazy(func() string { return fmt.Sprintf("%d old attempts still there (%v)", n, err) }))
	}
	waitFor("first run")
	e.addAttempts(nil, nil, "old", 100*24*time.Hour, 2)
	waitFor("a later run")
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}
