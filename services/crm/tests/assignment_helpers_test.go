package tests

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"reos.dev/pkg/auth"
	"reos.dev/pkg/testkit"
)

// permsSales is identity's sales role (leads as an agent, plus campaigns).
var permsSales = []string{"leads:read", "leads:write", "deals:read", "deals:write", "properties:read", "campaigns:read", "campaigns:write"}

// knownUser puts user id of org into crm's users read model behind the
// API's back (as the superuser), as the consumer of reos.identity.events
// would; active false is a user identity deleted.
func (e *env) knownUser(org, id string, active bool) {
	e.t.Helper()
	if _, err := e.admin.Exec(e.t.Context(), `INSERT INTO crm.known_users (org_id, user_id, active, updated_at) VALUES ($1, $2, $3, now())
ON CONFLICT (org_id, user_id) DO UPDATE SET active = EXCLUDED.active`, org, id, active); err != nil {
		e.t.Fatalf("seed known user: %v", err)
	}
}

// knownTeam puts a team of org with members into the read model and
// returns its id.
func (e *env) knownTeam(org string, members ...string) string {
	e.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	if _, err := e.admin.Exec(e.t.Context(), `INSERT INTO crm.known_teams (org_id, team_id, updated_at) VALUES ($1, $2, now())`, org, id); err != nil {
		e.t.Fatalf("seed known team: %v", err)
	}
	for _, m := range members {
		if _, err := e.admin.Exec(e.t.Context(), `INSERT INTO crm.known_team_members (org_id, team_id, user_id, added_at) VALUES ($1, $2, $3, now())`,
			org, id, m); err != nil {
			e.t.Fatalf("seed known team member: %v", err)
		}
	}
	return id
}

// withRoles mints an access token for a new known user of org holding roles
// (the token's roles claim) and perms.
func (e *env) withRoles(org string, roles, perms []string) user {
	e.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	e.knownUser(org, id, true)
	now := time.Now()
	tok, err := e.tokens.Signer.Sign(auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: testkit.Issuer, Audience: jwt.ClaimStrings{testkit.Audience}, Subject: id, ID: uuid.NewString(),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(15 * time.Minute)),
		},
		OrgID: org, Roles: roles, Perms: perms, TokenUse: auth.TokenUseAccess,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return user{OrgID: org, ID: id, Token: tok}
}

// agent is a caller whose only role is agent (the one
// agents_see_only_assigned limits).
func (e *env) agent(org string) user { return e.withRoles(org, []string{"agent"}, permsAgent) }

// ruleJSON is an assignment rule as the API shows it.
type ruleJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
	Enabled  bool   `json:"enabled"`
	Match    struct {
		PostalCodes        []string `json:"postal_codes"`
		PostalCodePrefixes []string `json:"postal_code_prefixes"`
		MinPriceCents      *int64   `json:"min_price_cents"`
		MaxPriceCents      *int64   `json:"max_price_cents"`
		SourceIDs          []string `json:"source_ids"`
	} `json:"match"`
	Target struct {
		UserID *string `json:"user_id"`
		TeamID *string `json:"team_id"`
	} `json:"target"`
	LastAssigneeID *string `json:"last_assignee_id"`
}

// createRule posts an assignment rule as u and returns it.
func (e *env) createRule(u user, body map[string]any) ruleJSON {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/v1/assignment-rules", u, body)
	expect(e.t, r, http.StatusCreated, "create rule")
	return decode[ruleJSON](e.t, r)
}

// runQueue works the service's job queue until the test ends.
func (e *env) runQueue() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Queue.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				e.t.Errorf("queue: %v", err)
			}
		case <-time.After(30 * time.Second):
			e.t.Error("queue did not stop")
		}
	})
}

// eventually waits (testkit.Eventually) up to 20 s for cond, which what
// names: the queue and the consumers run in the background.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	testkit.Eventually(e.t, 20*time.Second, cond, "%s", what)
}

// count returns how often v occurs in s.
func count[T comparable](s []T, v T) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// sortedIDs returns ids sorted (the order round-robin rotates in).
func sortedIDs(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
