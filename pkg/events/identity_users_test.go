package events

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

func identityUserEvent(t *testing.T, typ, org string, data map[string]any) Event {
	t.Helper()
	ev, err := New("reos.identity", typ, "k", org, data)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestParseUserEvent: what each identity user event says (the contract
// crm and property read models rely on), with identity's real payload
// shapes, and the events a users read model must ignore or refuse.
func TestParseUserEvent(t *testing.T) {
	t.Parallel()
	uid := uuid.NewString()
	upper := strings.ToUpper(uid)
	base := func(extra map[string]any) map[string]any {
		d := map[string]any{"user_id": uid, "org_id": testOrg, "email": "a@b.test", "actor_id": uuid.NewString()}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	for _, tt := range []struct {
		name, typ string
		data      map[string]any
		roles     []string // nil: the event states none
		deleted   bool
		snapshot  bool
	}{
		{"registered", IdentityUserRegistered, base(map[string]any{"roles": []string{"admin"}}), []string{"admin"}, false, false},
		{"registered without roles states none held", IdentityUserRegistered, base(nil), []string{}, false, false},
		{"roles changed", IdentityUserRolesChanged, base(map[string]any{"roles": []string{"agent", "sales"}}), []string{"agent", "sales"}, false, false},
		{"updated says nothing of roles", IdentityUserUpdated, base(map[string]any{"roles": []string{"ignored"}}), nil, false, false},
		{"deleted", IdentityUserDeleted, base(nil), nil, true, false},
		{"snapshot", IdentityUserSnapshot, base(map[string]any{"roles": []string{"viewer"}, "deleted": false}), []string{"viewer"}, false, true},
		{"snapshot with no roles", IdentityUserSnapshot, base(map[string]any{"roles": nil}), []string{}, false, true},
		{"snapshot of a deleted user", IdentityUserSnapshot, base(map[string]any{"roles": []string{"agent"}, "deleted": true}), nil, true, true},
		{"a user id in upper case is canonical", IdentityUserUpdated, map[string]any{"user_id": upper}, nil, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := identityUserEvent(t, tt.typ, testOrg, tt.data)
			c, ok, err := ParseUserEvent(ev)
			if err != nil || !ok {
				t.Fatalf("ParseUserEvent = %+v, %v, %v", c, ok, err)
			}
			if c.Type != tt.typ || c.OrgID != testOrg || c.UserID != uid || !c.At.Equal(ev.Time) || c.At.Location().String() != "UTC" {
				t.Fatalf("change %+v", c)
			}
			if (c.Roles == nil) != (tt.roles == nil) || !slices.Equal(c.Roles, tt.roles) || c.Deleted != tt.deleted || c.Snapshot != tt.snapshot {
				t.Fatalf("change %+v, want roles %v deleted %v snapshot %v", c, tt.roles, tt.deleted, tt.snapshot)
			}
		})
	}

	for _, typ := range []string{"reos.identity.login.succeeded", "reos.identity.team.member_added", "reos.identity.user.something_new"} {
		if _, ok, err := ParseUserEvent(identityUserEvent(t, typ, testOrg, map[string]any{"user_id": "not even a uuid"})); ok || err != nil {
			t.Errorf("%s: ok %v, err %v; want ignored", typ, ok, err)
		}
	}
	for name, ev := range map[string]Event{
		"no orgid":     identityUserEvent(t, IdentityUserDeleted, "", map[string]any{"user_id": uid}),
		"org mismatch": identityUserEvent(t, IdentityUserDeleted, testOrg, map[string]any{"user_id": uid, "org_id": uuid.NewString()}),
		"bad user id":  identityUserEvent(t, IdentityUserRegistered, testOrg, map[string]any{"user_id": "bob"}),
		"no user id":   identityUserEvent(t, IdentityUserRegistered, testOrg, map[string]any{"org_id": testOrg}),
		"no data":      identityUserEvent(t, IdentityUserRegistered, testOrg, nil),
		"data a list":  identityUserEvent(t, IdentityUserRegistered, testOrg, nil),
	} {
		if name == "data a list" {
			ev.Data = []byte(`[1,2]`)
		}
		if _, ok, err := ParseUserEvent(ev); !ok || !errors.Is(err, ErrBadUserEvent) {
			t.Errorf("%s: ok %v, err %v; want ErrBadUserEvent", name, ok, err)
		}
	}
}

func TestUserEventHandler(t *testing.T) {
	t.Parallel()
	if _, err := UserEventHandler(nil); err == nil {
		t.Fatal("nil apply accepted")
	}
	var got []UserChange
	boom := errors.New("boom")
	h, err := UserEventHandler(func(_ context.Context, _ pgx.Tx, c UserChange) error {
		got = append(got, c)
		if c.Deleted {
			return boom
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	uid := uuid.NewString()
	ctx := context.Background()
	if err := h(ctx, nil, identityUserEvent(t, IdentityUserRegistered, testOrg, map[string]any{"user_id": uid})); err != nil {
		t.Fatal(err)
	}
	if err := h(ctx, nil, identityUserEvent(t, "reos.identity.login.failed", testOrg, map[string]any{"email": "x"})); err != nil {
		t.Fatal(err)
	}
	if err := h(ctx, nil, identityUserEvent(t, IdentityUserDeleted, testOrg, map[string]any{"user_id": uid})); !errors.Is(err, boom) {
		t.Fatalf("apply's error: %v", err)
	}
	if err := h(ctx, nil, identityUserEvent(t, IdentityUserDeleted, testOrg, map[string]any{"user_id": "x"})); !errors.Is(err, ErrBadUserEvent) {
		t.Fatalf("bad event: %v", err)
	}
	if len(got) != 2 || got[0].UserID != uid || got[0].Deleted || !got[1].Deleted {
		t.Fatalf("applied %+v", got)
	}
}
