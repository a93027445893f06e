package tests

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// teamEvent is one team event as it sits in identity's outbox.
type teamEvent struct {
	Type, Key string
	OrgID     string
	Data      struct {
		TeamID  string `json:"team_id"`
		OrgID   string `json:"org_id"`
		UserID  string `json:"user_id"`
		ActorID string `json:"actor_id"`
	}
}

// teamEvents returns the team events in the outbox, oldest first.
func (e *env) teamEvents() []teamEvent {
	e.t.Helper()
	rows, err := e.admin.Query(e.t.Context(), `SELECT topic, msg_key, payload::text FROM identity.outbox
		WHERE payload->>'type' LIKE 'reos.identity.team.%' ORDER BY id`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []teamEvent
	for rows.Next() {
		var topic, key, payload string
		if err := rows.Scan(&topic, &key, &payload); err != nil {
			e.t.Fatal(err)
		}
		if topic != "reos.identity.events" {
			e.t.Errorf("team event on topic %s", topic)
		}
		var ev struct {
			Type  string          `json:"type"`
			OrgID string          `json:"orgid"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(payload), &ev); err != nil {
			e.t.Fatal(err)
		}
		te := teamEvent{Type: ev.Type, Key: key, OrgID: ev.OrgID}
		if err := json.Unmarshal(ev.Data, &te.Data); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, te)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// TestTeamMembershipEvents: adding and removing a member and deleting a
// team each emit exactly one event, keyed by the team id, naming the team,
// the organisation, the member (canonical id, whatever case the path used)
// and the actor; a refused change emits nothing.
func TestTeamMembershipEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.register("boss@teamevents.test", "Team Events Co")
	tok := e.login("boss@teamevents.test", goodPassword).AccessToken
	member := e.createUser(tok, "m@teamevents.test", "agent")

	r := e.call(http.MethodPost, "/api/v1/teams", tok, map[string]string{"name": "East"})
	expect(t, r, http.StatusCreated, "create team")
	team := decode[struct{ ID string }](t, r)
	if n := len(e.teamEvents()); n != 0 {
		t.Fatalf("creating an empty team emitted %d team events", n)
	}

	steps := []struct {
		name   string
		do     func() response
		status int
		want   string // event type, "" for none
		user   string
	}{
		{"add", func() response {
			return e.call(http.MethodPost, "/api/v1/teams/"+team.ID+"/members", tok, map[string]string{"user_id": member.ID})
		}, http.StatusOK, "reos.identity.team.member_added", member.ID},
		{"add twice", func() response {
			return e.call(http.MethodPost, "/api/v1/teams/"+team.ID+"/members", tok, map[string]string{"user_id": member.ID})
		}, http.StatusConflict, "", ""},
		{"add a user of nowhere", func() response {
			return e.call(http.MethodPost, "/api/v1/teams/"+team.ID+"/members", tok, map[string]string{"user_id": "0190c0de-0000-7000-8000-000000000001"})
		}, http.StatusUnprocessableEntity, "", ""},
		{"remove (upper-case id in the path)", func() response {
			return e.call(http.MethodDelete, "/api/v1/teams/"+team.ID+"/members/"+strings.ToUpper(member.ID), tok, nil)
		}, http.StatusNoContent, "reos.identity.team.member_removed", member.ID},
		{"remove again", func() response {
			return e.call(http.MethodDelete, "/api/v1/teams/"+team.ID+"/members/"+member.ID, tok, nil)
		}, http.StatusNotFound, "", ""},
		{"delete", func() response { return e.call(http.MethodDelete, "/api/v1/teams/"+team.ID, tok, nil) },
			http.StatusNoContent, "reos.identity.team.deleted", ""},
		{"delete again", func() response { return e.call(http.MethodDelete, "/api/v1/teams/"+team.ID, tok, nil) },
			http.StatusNotFound, "", ""},
	}
	seen := 0
	for _, s := range steps {
		expect(t, s.do(), s.status, s.name)
		all := e.teamEvents()
		got := all[seen:]
		seen = len(all)
		if s.want == "" {
			if len(got) != 0 {
				t.Fatalf("%s: emitted %+v", s.name, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Fatalf("%s: %d events, want one %s", s.name, len(got), s.want)
		}
		ev := got[0]
		if ev.Type != s.want || ev.Key != team.ID || ev.OrgID != admin.OrgID || ev.Data.TeamID != team.ID ||
			ev.Data.OrgID != admin.OrgID || ev.Data.UserID != s.user || ev.Data.ActorID != admin.ID {
			t.Fatalf("%s: event %+v, want %s of team %s, user %q, actor %s", s.name, ev, s.want, team.ID, s.user, admin.ID)
		}
	}

	// Another organisation's team is a 404 and emits nothing.
	e.register("other@teamevents.test", "Other Events Co")
	other := e.login("other@teamevents.test", goodPassword).AccessToken
	r = e.call(http.MethodPost, "/api/v1/teams", tok, map[string]string{"name": "West"})
	expect(t, r, http.StatusCreated, "create team")
	west := decode[struct{ ID string }](t, r)
	expect(t, e.call(http.MethodPost, "/api/v1/teams/"+west.ID+"/members", tok, map[string]string{"user_id": member.ID}), http.StatusOK, "add")
	expect(t, e.call(http.MethodDelete, "/api/v1/teams/"+west.ID, other, nil), http.StatusNotFound, "other org deletes")
	if all := e.teamEvents(); len(all) != seen+1 {
		t.Fatalf("%d team events, want %d", len(all), seen+1)
	}
}
