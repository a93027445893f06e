package tests

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/pkg/logging"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/server"
)

// identityEvent builds an event as identity publishes it.
func identityEvent(t *testing.T, typ, org, key string, data map[string]any) events.Event {
	t.Helper()
	ev, err := events.New("reos.identity", typ, key, org, data)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// userState reads a user of the read model: "unknown", or its roles and
// whether it is active.
func (e *env) userState(org, id string) string {
	e.t.Helper()
	var roles []string
	var active bool
	err := e.admin.QueryRow(e.t.Context(), `SELECT roles, active FROM crm.known_users WHERE org_id = $1 AND user_id = $2`, org, id).Scan(&roles, &active)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "unknown"
	case err != nil:
		e.t.Fatal(err)
	}
	state := "inactive"
	if active {
		state = "active"
	}
	return state + " " + strings.Join(roles, ",")
}

// teamMembers reads a team of the read model: "unknown", "deleted", or its
// members sorted.
func (e *env) teamMembers(org, team string) string {
	e.t.Helper()
	var deleted bool
	err := e.admin.QueryRow(e.t.Context(), `SELECT deleted FROM crm.known_teams WHERE org_id = $1 AND team_id = $2`, org, team).Scan(&deleted)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "unknown"
	case err != nil:
		e.t.Fatal(err)
	case deleted:
		return "deleted"
	}
	rows, err := e.admin.Query(e.t.Context(), `SELECT user_id::text FROM crm.known_team_members WHERE org_id = $1 AND team_id = $2 ORDER BY 1`, org, team)
	if err != nil {
		e.t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		e.t.Fatal(err)
	}
	return "members " + strings.Join(ids, ",")
}

// TestIdentityEventHandler: the users read model's handler, run as the
// consumer runs it (one transaction as crm_app with app.org_id from the
// event). Users become known with their roles, deletion is final, team
// membership follows member_added/removed and a deleted team takes no
// members; redeliveries change nothing and other event types are ignored.
func TestIdentityEventHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pool := e.db.Pool(t, "crm_app")
	handle := pgstore.IdentityEventHandler()
	apply := func(ev events.Event) error {
		run := func(tx pgx.Tx) error { return handle(t.Context(), tx, ev) }
		if ev.OrgID == "" {
			return postgres.InTx(t.Context(), pool, run)
		}
		return postgres.InOrgTx(t.Context(), pool, ev.OrgID, run)
	}
	org, u1, u2, team := newOrg(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	user := func(typ, id string, extra map[string]any) events.Event {
		data := map[string]any{"user_id": id, "org_id": org}
		for k, v := range extra {
			data[k] = v
		}
		return identityEvent(t, typ, org, id, data)
	}
	member := func(typ, id string) events.Event {
		return identityEvent(t, typ, org, team, map[string]any{"team_id": team, "org_id": org, "user_id": id})
	}
	steps := []struct {
		name       string
		ev         events.Event
		user, want string // user state after the event ("" to skip)
		team       string // team state after the event ("" to skip)
	}{
		{"registered", user(events.IdentityUserRegistered, u1, map[string]any{"roles": []string{"admin"}}), u1, "active admin", ""},
		{"registered again (redelivery)", user(events.IdentityUserRegistered, u1, map[string]any{"roles": []string{"admin"}}), u1, "active admin", ""},
		{"roles changed", user(events.IdentityUserRolesChanged, u1, map[string]any{"roles": []string{"agent", "sales"}}), u1, "active agent,sales", ""},
		{"updated keeps the roles", user(events.IdentityUserUpdated, u1, map[string]any{"fields": []string{"full_name"}}), u1, "active agent,sales", ""},
		{"updated of a user never seen", user(events.IdentityUserUpdated, u2, nil), u2, "active ", ""},
		{"member added", member(app.IdentityTeamMemberAdded, u1), "", "", "members " + u1},
		{"member added again", member(app.IdentityTeamMemberAdded, u1), "", "", "members " + u1},
		{"second member", member(app.IdentityTeamMemberAdded, u2), "", "", "members " + strings.Join(sortedIDs(u1, u2), ",")},
		{"member removed", member(app.IdentityTeamMemberRemoved, u1), "", "", "members " + u2},
		{"deleted", user(events.IdentityUserDeleted, u2, nil), u2, "inactive ", ""},
		{"registered after deleted stays inactive", user(events.IdentityUserRegistered, u2, map[string]any{"roles": []string{"agent"}}), u2, "inactive agent", ""},
		{"team deleted", identityEvent(t, app.IdentityTeamDeleted, org, team, map[string]any{"team_id": team, "org_id": org}), "", "", "deleted"},
		{"member added after the team was deleted", member(app.IdentityTeamMemberAdded, u1), "", "", "deleted"},
		{"logins are ignored", user("reos.identity.login.succeeded", uuid.NewString(), nil), "", "", ""},
	}
	for _, s := range steps {
		if err := apply(s.ev); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.user != "" {
			if got := e.userState(org, s.user); got != s.want {
				t.Fatalf("%s: user is %q, want %q", s.name, got, s.want)
			}
		}
		if s.team != "" {
			if got := e.teamMembers(org, team); got != s.team {
				t.Fatalf("%s: team is %q, want %q", s.name, got, s.team)
			}
		}
	}
	if n := scalar[int64](e, `SELECT count(*) FROM crm.known_users`); n != 2 {
		t.Fatalf("%d users in the read model, want 2", n)
	}
	// Another organisation does not see them.
	if got := e.userState(newOrg(), u1); got != "unknown" {
		t.Fatalf("another org's read model has u1: %s", got)
	}

	// Events the read model cannot apply are errors (the consumer retries,
	// then logs and skips them); a user event's is the shared parser's
	// (events.ParseUserEvent, as property's read model reads them).
	for name, c := range map[string]struct {
		ev     events.Event
		shared bool
	}{
		"bad user id":  {user(events.IdentityUserRegistered, "not-a-uuid", nil), true},
		"no org":       {identityEvent(t, events.IdentityUserDeleted, "", u1, map[string]any{"user_id": u1}), true},
		"org mismatch": {identityEvent(t, events.IdentityUserDeleted, org, u1, map[string]any{"user_id": u1, "org_id": newOrg()}), true},
		"no team id":   {identityEvent(t, app.IdentityTeamMemberAdded, org, team, map[string]any{"user_id": u1, "org_id": org}), false},
	} {
		err := apply(c.ev)
		if !errors.Is(err, app.ErrBadIdentityEvent) {
			t.Errorf("%s: %v, want ErrBadIdentityEvent", name, err)
		}
		if c.shared != errors.Is(err, events.ErrBadUserEvent) {
			t.Errorf("%s: %v; events.ErrBadUserEvent should be %v", name, err, c.shared)
		}
	}
}

// TestIdentityConsumerFeedsAssignment: the consumer the binary runs,
// against the real broker and topic reos.identity.events (shared, so the
// test's org is new and the group its own): users registered and added to a
// team in identity become assignees, a round-robin rule over the team
// alternates between them, and a user deleted in identity stops getting
// leads and is refused as an assignee.
func TestIdentityConsumerFeedsAssignment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	brokers := testkit.Brokers(t)
	consumer, err := server.NewIdentityConsumer(server.ConsumerOptions{
		Pool: e.db.Pool(t, "crm_app"), Brokers: brokers, Logger: logging.Discard(),
		GroupID: testkit.UniqueName(t, "crm-identity-read-model"), MaxWait: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.RunInBackground(t, "consumer", consumer.Run)

	org := newOrg()
	admin := e.user(org, permsAdmin)
	a, b, team := uuid.NewString(), uuid.NewString(), uuid.NewString()
	topic := events.Topic("identity")
	for _, id := range []string{a, b} {
		publishOn(t, brokers, topic, id, identityEvent(t, events.IdentityUserRegistered, org, id,
			map[string]any{"user_id": id, "org_id": org, "roles": []string{"agent"}}))
		publishOn(t, brokers, topic, team, identityEvent(t, app.IdentityTeamMemberAdded, org, team,
			map[string]any{"team_id": team, "org_id": org, "user_id": id}))
	}
	want := "members " + strings.Join(sortedIDs(a, b), ",")
	e.eventually("the team reaches the read model", func() bool {
		return e.teamMembers(org, team) == want && e.userState(org, a) == "active agent" && e.userState(org, b) == "active agent"
	})
	e.createRule(admin, map[string]any{"name": "Team", "target": map[string]any{"team_id": team}})
	var got []string
	for i := range 4 {
		got = append(got, *e.createLead(admin, map[string]any{"email": "c" + strings.Repeat("x", i) + "@example.com"}).AssigneeID)
	}
	rotation := sortedIDs(a, b)
	if w := []string{rotation[0], rotation[1], rotation[0], rotation[1]}; !slices.Equal(got, w) {
		t.Fatalf("assignees = %v, want %v", got, w)
	}

	publishOn(t, brokers, topic, b, identityEvent(t, events.IdentityUserDeleted, org, b, map[string]any{"user_id": b, "org_id": org}))
	e.eventually("the deletion reaches the read model", func() bool { return e.userState(org, b) == "inactive agent" })
	for i := range 2 {
		if l := e.createLead(admin, map[string]any{"email": "d" + strings.Repeat("x", i) + "@example.com"}); *l.AssigneeID != a {
			t.Fatalf("after b's deletion a lead went to %s, want %s", *l.AssigneeID, a)
		}
	}
	expectField(t, e.call(http.MethodPost, "/api/v1/leads", admin, map[string]any{"email": "e@example.com", "assignee_id": b}),
		http.StatusUnprocessableEntity, "assignee_id", "deleted user as assignee")
}
