package tests

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/services/identity/internal/domain"
)

func TestRegisterEnqueuesEventAtomically(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.register("ev@example.test", "Event Co")

	var topic, key string
	var payload []byte
	err := e.admin.QueryRow(t.Context(), `SELECT topic, msg_key, payload::text FROM identity.outbox
		WHERE payload->>'type' = 'reos.identity.user.registered'`).Scan(&topic, &key, &payload)
	if err != nil {
		t.Fatalf("user.registered row: %v", err)
	}
	if topic != "reos.identity.events" || key != u.ID {
		t.Errorf("topic %q key %q, want reos.identity.events and %s", topic, key, u.ID)
	}
	var ev struct {
		SpecVersion string `json:"specversion"`
		Source      string `json:"source"`
		Subject     string `json:"subject"`
		OrgID       string `json:"orgid"`
		Data        struct {
			UserID string   `json:"user_id"`
			Email  string   `json:"email"`
			Roles  []string `json:"roles"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.SpecVersion != "1.0" || ev.Source != "reos.identity" || ev.OrgID != u.OrgID || ev.Data.UserID != u.ID || ev.Data.Email != u.Email {
		t.Errorf("event = %s", payload)
	}
	if s := strings.ToLower(string(payload)); strings.Contains(s, "argon2") || strings.Contains(s, "password") || strings.Contains(s, "token") {
		t.Errorf("event carries secrets: %s", payload)
	}

	// A failing registration (duplicate email) commits nothing: no event,
	// no organisation, no roles.
	orgs := scalar[int](e, `SELECT count(*) FROM identity.organizations`)
	r := e.call(http.MethodPost, "/api/v1/auth/register", "", map[string]string{
		"email": "EV@example.test", "password": goodPassword, "full_name": "Copy Cat", "organization_name": "Copy Co",
	})
	expect(t, r, http.StatusConflict, "duplicate registration")
	if p := decode[problemJSON](t, r); p.reason() != "email_taken" {
		t.Errorf("reason = %q", p.reason())
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.outbox WHERE payload->>'type' = 'reos.identity.user.registered'`); n != 1 {
		t.Errorf("user.registered rows after a failed registration = %d, want 1", n)
	}
	if n := scalar[int](e, `SELECT count(*) FROM identity.organizations`); n != orgs {
		t.Errorf("organisations %d → %d after a failed registration", orgs, n)
	}
	if n, want := scalar[int](e, `SELECT count(*) FROM identity.roles`), len(domain.SystemRoles(u.OrgID, time.Now(), uuid.NewString)); n != want {
		t.Errorf("roles = %d after a failed registration, want the first organisation's %d", n, want)
	}

	// Login success and failure are events too.
	e.login("ev@example.test", goodPassword)
	e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "ev@example.test", "password": "nope nope nope"})
	for _, typ := range []string{"reos.identity.login.succeeded", "reos.identity.login.failed"} {
		if n := scalar[int](e, `SELECT count(*) FROM identity.outbox WHERE payload->>'type' = $1 AND msg_key = $2`, typ, u.ID); n != 1 {
			t.Errorf("%s events = %d", typ, n)
		}
	}
}
