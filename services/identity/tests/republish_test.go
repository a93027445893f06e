package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/events"
	"reos.dev/pkg/testkit"
	pgstore "reos.dev/services/identity/internal/adapters/postgres"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/server"
)

// snapshotEvent is one snapshot event as it sits in identity's outbox.
type snapshotEvent struct {
	OutboxID int64
	Type     string
	Key      string
	OrgID    string
	Data     struct {
		UserID    string   `json:"user_id"`
		TeamID    string   `json:"team_id"`
		OrgID     string   `json:"org_id"`
		Email     string   `json:"email"`
		Roles     []string `json:"roles"`
		MemberIDs []string `json:"member_ids"`
		Deleted   bool     `json:"deleted"`
	}
}

// snapshots returns the snapshot events in the outbox, oldest first.
func (e *env) snapshots() []snapshotEvent {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), `SELECT id, topic, msg_key, payload::text FROM identity.outbox
		WHERE payload->>'type' LIKE '%.snapshot' ORDER BY id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []snapshotEvent
	for rows.Next() {
		var s snapshotEvent
		var topic, payload string
		if err := rows.Scan(&s.OutboxID, &topic, &s.Key, &payload); err != nil {
			e.t.Fatal(err)
		}
		var ev struct {
			Type  string          `json:"type"`
			OrgID string          `json:"orgid"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			e.t.Fatal(err)
		}
		if topic != app.EventsTopic {
			e.t.Errorf("snapshot on topic %s", topic)
		}
		s.Type, s.OrgID = ev.Type, ev.OrgID
		if err := json.Unmarshal(ev.Data, &s.Data); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// TestRepublishSnapshots: `identity republish --org A` (through the wiring
// the command uses, batches of 2) writes exactly one snapshot per user of
// A — deleted ones included, flagged, with their roles — and per team,
// live ones with their active members and deleted ones flagged, each keyed
// by its id with A as orgid; nothing of organisation B. Without --org,
// every organisation is covered (found through organization_ids_after as
// the service role). The progress shows the batches.
func TestRepublishSnapshots(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boss := e.register("boss@republish.test", "Republish Co")
	tok := e.login("boss@republish.test", goodPassword).AccessToken
	agents := []userJSON{
		e.createUser(tok, "a1@republish.test", "agent"),
		e.createUser(tok, "a2@republish.test", "sales", "agent"),
		e.createUser(tok, "a3@republish.test", "agent"),
		e.createUser(tok, "a4@republish.test", "viewer"),
	}
	gone := agents[2]
	newTeam := func(name string, members ...userJSON) string {
		r := e.call(http.MethodPost, "/api/v1/teams", tok, map[string]string{"name": name})
		expect(t, r, http.StatusCreated, "create team")
		id := decode[struct{ ID string }](t, r).ID
		for _, m := range members {
			expect(t, e.call(http.MethodPost, "/api/v1/teams/"+id+"/members", tok, map[string]string{"user_id": m.ID}), http.StatusOK, "add member")
		}
		return id
	}
	east := newTeam("East", agents[0], agents[1], gone)
	west := newTeam("West")
	dropped := newTeam("Dropped", agents[0])
	expect(t, e.call(http.MethodDelete, "/api/v1/teams/"+dropped, tok, nil), http.StatusNoContent, "delete team")
	expect(t, e.call(http.MethodDelete, "/api/v1/users/"+gone.ID, tok, nil), http.StatusNoContent, "delete user")

	other := e.register("boss@other-republish.test", "Other Co")

	plan, err := server.Republisher(e.db.Pool(t, "identity_app"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep, err := plan.Run(t.Context(), events.RepublishOptions{Orgs: []string{boss.OrgID}, BatchSize: 2, Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.String(); got != "1 organisations: 5 users, 2 teams, 1 deleted teams" {
		t.Fatalf("report %q", got)
	}
	for _, line := range []string{"users: 2\n", "users: 4\n", "users: 5\n", "teams: 2\n", "deleted teams: 1\n"} {
		if !strings.Contains(out.String(), "org "+boss.OrgID+" "+line) {
			t.Errorf("progress lacks %q:\n%s", line, out.String())
		}
	}

	users := map[string]snapshotEvent{}
	teams := map[string]snapshotEvent{}
	for _, s := range e.snapshots() {
		if s.OrgID != boss.OrgID || s.Data.OrgID != boss.OrgID {
			t.Fatalf("snapshot of another organisation: %+v", s)
		}
		switch s.Type {
		case app.EventUserSnapshot:
			if _, dup := users[s.Key]; dup || s.Key != s.Data.UserID {
				t.Fatalf("user snapshot twice or keyed wrong: %+v", s)
			}
			users[s.Key] = s
		case app.EventTeamSnapshot:
			if _, dup := teams[s.Key]; dup || s.Key != s.Data.TeamID {
				t.Fatalf("team snapshot twice or keyed wrong: %+v", s)
			}
			teams[s.Key] = s
		default:
			t.Fatalf("unexpected %s", s.Type)
		}
	}
	wantUsers := map[string]string{
		boss.ID:      "boss@republish.test [admin] false",
		agents[0].ID: "a1@republish.test [agent] false",
		agents[1].ID: "a2@republish.test [agent sales] false",
		gone.ID:      "a3@republish.test [agent] true",
		agents[3].ID: "a4@republish.test [viewer] false",
	}
	if len(users) != len(wantUsers) {
		t.Fatalf("%d user snapshots, want %d", len(users), len(wantUsers))
	}
	for id, want := range wantUsers {
		s := users[id]
		if got := fmt.Sprintf("%s %v %v", s.Data.Email, s.Data.Roles, s.Data.Deleted); got != want {
			t.Errorf("user %s snapshot %q, want %q", id, got, want)
		}
	}
	wantMembers := []string{agents[0].ID, agents[1].ID}
	slices.Sort(wantMembers)
	if s := teams[east]; s.Data.Deleted || !slices.Equal(s.Data.MemberIDs, wantMembers) {
		t.Errorf("East snapshot %+v, want members %v (the deleted user left out)", s, wantMembers)
	}
	if s := teams[west]; s.Data.Deleted || s.Data.MemberIDs == nil || len(s.Data.MemberIDs) != 0 {
		t.Errorf("West snapshot %+v, want an empty member list", s)
	}
	if s := teams[dropped]; !s.Data.Deleted || len(s.Data.MemberIDs) != 0 {
		t.Errorf("Dropped snapshot %+v, want deleted", s)
	}
	if got, want := slices.Sorted(maps.Keys(teams)), slices.Sorted(slices.Values([]string{east, west, dropped})); !slices.Equal(got, want) {
		t.Errorf("team snapshots of %v, want %v", got, want)
	}

	// Every organisation: B's admin too, and A's users once more.
	before := len(e.snapshots())
	rep, err = plan.Run(t.Context(), events.RepublishOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.String(); got != "2 organisations: 6 users, 2 teams, 1 deleted teams" {
		t.Fatalf("report of the full run %q", got)
	}
	var ofB int
	for _, s := range e.snapshots()[before:] {
		if s.OrgID == other.OrgID {
			ofB++
			if s.Key != other.ID {
				t.Errorf("B's snapshot %+v", s)
			}
		}
	}
	if ofB != 1 {
		t.Fatalf("%d snapshots of B, want 1", ofB)
	}
}

// TestRepublishOrdersWithRoleChanges: a role change that starts while a
// snapshot batch holds its users waits for the batch to commit, so its
// event follows the snapshot in the outbox (and on the topic: the relay
// publishes in outbox order) and a consumer ends with the new roles; a
// login of the same user meanwhile does not wait.
func TestRepublishOrdersWithRoleChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	boss := e.register("boss@order.test", "Order Co")
	tok := e.login("boss@order.test", goodPassword).AccessToken
	agent := e.createUser(tok, "agent@order.test", "agent")

	store, err := pgstore.NewSnapshotStore(e.db.Pool(t, "identity_app"), "identity")
	if err != nil {
		t.Fatal(err)
	}
	changed := make(chan response, 1)
	err = store.InOrg(t.Context(), boss.OrgID, func(tx app.SnapshotTx) error {
		us, err := tx.Users(t.Context(), "", 10)
		if err != nil {
			return err
		}
		// A login writes the user's row too (last_login_at) but takes no
		// lock that conflicts with the batch's.
		logged := make(chan response, 1)
		go func() {
			logged <- e.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "agent@order.test", "password": goodPassword})
		}()
		select {
		case r := <-logged:
			expect(t, r, http.StatusOK, "login while the snapshot batch holds the user")
		case <-time.After(15 * time.Second):
			t.Error("a login waited for the snapshot batch")
		}
		go func() {
			changed <- e.call(http.MethodPut, "/api/v1/admin/users/"+agent.ID+"/roles", tok, map[string]any{"roles": []string{"sales"}})
		}()
		// The change must queue behind the batch's row locks: wait until a
		// backend of this database waits for a lock (or the change is
		// through, which is the failure), rather than for a while.
		testkit.Eventually(t, 15*time.Second, func() bool {
			var waiting bool
			err := e.admin.QueryRow(t.Context(), `SELECT EXISTS (SELECT FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting)
			return (err == nil && waiting) || len(changed) > 0
		}, "the role change neither waited for a lock nor finished")
		if len(changed) > 0 {
			t.Error("the role change did not wait for the snapshot")
		}
		items := make([]app.EventData, len(us))
		for i, u := range us {
			items[i] = app.EventData{Key: u.ID, Data: map[string]any{"user_id": u.ID, "roles": u.Roles}}
		}
		return tx.PublishAll(t.Context(), app.EventUserSnapshot, boss.OrgID, items)
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-changed:
		expect(t, r, http.StatusOK, "role change after the snapshot")
	case <-time.After(15 * time.Second):
		t.Fatal("the role change never finished")
	}
	var snapID, changeID int64
	if err := e.admin.QueryRow(context.Background(), `SELECT
		(SELECT id FROM identity.outbox WHERE msg_key = $1 AND payload->>'type' = $2),
		(SELECT id FROM identity.outbox WHERE msg_key = $1 AND payload->>'type' = $3)`,
		agent.ID, app.EventUserSnapshot, app.EventUserRolesChanged).Scan(&snapID, &changeID); err != nil {
		t.Fatal(err)
	}
	if snapID >= changeID {
		t.Fatalf("snapshot at outbox id %d, role change at %d: the change must follow", snapID, changeID)
	}
	for _, s := range e.snapshots() {
		if s.Key == agent.ID && !slices.Equal(s.Data.Roles, []string{"agent"}) {
			t.Fatalf("snapshot roles %v, want the roles before the change", s.Data.Roles)
		}
	}
}
