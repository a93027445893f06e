package tests

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/pkg/postgres"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
)

// consumerApply runs handle as the consumer does: one transaction as
// crm_app with app.org_id from the event.
func consumerApply(e *env, handle events.Handler) func(events.Event) error {
	pool := e.db.Pool(e.t, "crm_app")
	return func(ev events.Event) error {
		return postgres.InOrgTx(e.t.Context(), pool, ev.OrgID, func(tx pgx.Tx) error { return handle(e.t.Context(), tx, ev) })
	}
}

// at stamps ev with a time base+s seconds (the time identity or property
// gave it), which is what snapshots are judged by.
func at(ev events.Event, base time.Time, s int) events.Event {
	ev.Time = base.Add(time.Duration(s) * time.Second)
	return ev
}

// TestIdentitySnapshots: identity's user and team snapshots, applied by the
// users read model's handler, make unknown users and teams known with
// their roles and members (a lead can then be assigned to the user),
// replace roles and membership sets when no later event has been applied,
// and change nothing when one has (a late snapshot never undoes newer
// state, member_removed included); deleted users and teams stay deleted
// whatever a snapshot says, deleted snapshots delete; redelivery and a
// second run change nothing; bad member ids are refused.
func TestIdentitySnapshots(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apply := consumerApply(e, pgstore.IdentityEventHandler())
	org := newOrg()
	u1, u2, u3, u4, team, gone := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	base := time.Now().UTC().Truncate(time.Second)
	userSnap := func(id string, s int, roles []string, deleted bool) events.Event {
		return at(identityEvent(t, events.IdentityUserSnapshot, org, id, map[string]any{
			"user_id": id, "org_id": org, "email": id + "@example.com", "roles": roles, "deleted": deleted,
		}), base, s)
	}
	teamSnap := func(id string, s int, members []string, deleted bool) events.Event {
		return at(identityEvent(t, app.IdentityTeamSnapshot, org, id, map[string]any{
			"team_id": id, "org_id": org, "member_ids": members, "deleted": deleted,
		}), base, s)
	}
	live := func(typ, key string, s int, data map[string]any) events.Event {
		data["org_id"] = org
		return at(identityEvent(t, typ, org, key, data), base, s)
	}
	members := func(ids ...string) string { return "members " + strings.Join(sortedIDs(ids...), ",") }

	steps := []struct {
		name       string
		ev         events.Event
		user, want string // user state after the event ("" to skip)
		team, tw   string // team state after the event ("" to skip)
	}{
		{"snapshot of an unknown user", userSnap(u1, 10, []string{"agent"}, false), u1, "active agent", "", ""},
		{"the same snapshot again (a second run)", userSnap(u1, 10, []string{"agent"}, false), u1, "active agent", "", ""},
		{"roles changed later", live(events.IdentityUserRolesChanged, u1, 20, map[string]any{"user_id": u1, "roles": []string{"sales"}}), u1, "active sales", "", ""},
		{"a late snapshot keeps the newer roles", userSnap(u1, 15, []string{"agent"}, false), u1, "active sales", "", ""},
		{"a newer snapshot replaces them", userSnap(u1, 30, []string{"admin", "sales"}, false), u1, "active admin,sales", "", ""},
		{"snapshot of a deleted user never seen", userSnap(u2, 10, []string{"agent"}, true), u2, "inactive ", "", ""},
		{"deleted live", live(events.IdentityUserDeleted, u3, 10, map[string]any{"user_id": u3}), u3, "inactive ", "", ""},
		{"an active snapshot does not revive it", userSnap(u3, 20, []string{"agent"}, false), u3, "inactive agent", "", ""},

		{"snapshot of an unknown team", teamSnap(team, 10, []string{u1, u2}, false), "", "", team, members(u1, u2)},
		{"member added later", live(app.IdentityTeamMemberAdded, team, 20, map[string]any{"team_id": team, "user_id": u3}), "", "", team, members(u1, u2, u3)},
		{"a late snapshot keeps the newer members", teamSnap(team, 15, []string{u1}, false), "", "", team, members(u1, u2, u3)},
		{"member removed later", live(app.IdentityTeamMemberRemoved, team, 25, map[string]any{"team_id": team, "user_id": u1}), "", "", team, members(u2, u3)},
		{"a snapshot older than the removal keeps it", teamSnap(team, 22, []string{u1, u2, u3}, false), "", "", team, members(u2, u3)},
		{"a newer snapshot replaces the set", teamSnap(team, 30, []string{u4, u3}, false), "", "", team, members(u3, u4)},
		{"the same snapshot again", teamSnap(team, 30, []string{u4, u3}, false), "", "", team, members(u3, u4)},
		{"a snapshot of no members empties it", teamSnap(team, 31, []string{}, false), "", "", team, "members "},
		{"a deleted snapshot deletes it", teamSnap(team, 40, nil, true), "", "", team, "deleted"},
		{"a live snapshot does not revive it", teamSnap(team, 50, []string{u1}, false), "", "", team, "deleted"},
		{"snapshot of a team deleted before crm heard of it", teamSnap(gone, 10, nil, true), "", "", gone, "deleted"},
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
			if got := e.teamMembers(org, s.team); got != s.tw {
				t.Fatalf("%s: team is %q, want %q", s.name, got, s.tw)
			}
		}
	}

	// A user known only from a snapshot is an assignee; a deleted one not.
	admin := e.user(org, permsAdmin)
	if l := e.createLead(admin, map[string]any{"email": "snap@example.com", "assignee_id": u1}); l.AssigneeID == nil || *l.AssigneeID != u1 {
		t.Fatalf("lead assigned to %v, want %s", l.AssigneeID, u1)
	}
	expectField(t, e.call(http.MethodPost, "/api/v1/leads", admin, map[string]any{"email": "snap2@example.com", "assignee_id": u2}),
		http.StatusUnprocessableEntity, "assignee_id", "a user deleted per its snapshot")

	bad := teamSnap(uuid.NewString(), 10, []string{u1, "not-a-uuid"}, false)
	if err := apply(bad); !errors.Is(err, app.ErrBadIdentityEvent) {
		t.Fatalf("bad member id: %v, want ErrBadIdentityEvent", err)
	}
}

// TestPropertySnapshots: property snapshots make unknown properties known
// (usable on leads) or, when they say archived, archived; an archived
// property stays archived whatever a later snapshot says; redelivery
// changes nothing.
func TestPropertySnapshots(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apply := consumerApply(e, pgstore.PropertyEventHandler())
	org := newOrg()
	p1, p2 := uuid.NewString(), uuid.NewString()
	snap := func(id string, archived bool) events.Event {
		ev, err := events.New("reos.property", app.PropertySnapshot, id, org, map[string]any{
			"property_id": id, "org_id": org, "standard_status": "Active", "archived": archived,
		})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	state := func(id string) string {
		t.Helper()
		var archived bool
		err := e.admin.QueryRow(t.Context(), `SELECT archived FROM crm.known_properties WHERE org_id = $1 AND property_id = $2`, org, id).Scan(&archived)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return "unknown"
		case err != nil:
			t.Fatal(err)
		case archived:
			return "archived"
		}
		return "known"
	}
	for _, s := range []struct {
		name, id, want string
		ev             events.Event
	}{
		{"snapshot of an unknown property", p1, "known", snap(p1, false)},
		{"again", p1, "known", snap(p1, false)},
		{"archived snapshot of an unknown property", p2, "archived", snap(p2, true)},
		{"a later live snapshot does not unarchive", p2, "archived", snap(p2, false)},
		{"archived snapshot of a known property", p1, "archived", snap(p1, true)},
	} {
		if s.name == "archived snapshot of a known property" {
			// Before it: the property known only from its snapshot is
			// accepted on a lead.
			agent := e.user(org, permsAgent)
			e.createLead(agent, map[string]any{"email": "p@example.com", "property_ids": []string{p1}})
		}
		if err := apply(s.ev); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := state(s.id); got != s.want {
			t.Fatalf("%s: %s, want %s", s.name, got, s.want)
		}
	}
}
