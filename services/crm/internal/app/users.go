package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/events"
)

// Identity event types crm's users read model applies (topic
// reos.identity.events; identity defines them). Every other type on the
// topic (logins, lockouts, password changes) is ignored.
const (
	IdentityUserRegistered    = "reos.identity.user.registered"
	IdentityUserUpdated       = "reos.identity.user.updated"
	IdentityUserDeleted       = "reos.identity.user.deleted"
	IdentityUserRolesChanged  = "reos.identity.user.roles_changed"
	IdentityTeamMemberAdded   = "reos.identity.team.member_added"
	IdentityTeamMemberRemoved = "reos.identity.team.member_removed"
	IdentityTeamDeleted       = "reos.identity.team.deleted"
	// Snapshots of a user's or team's whole state (`identity republish`).
	IdentityUserSnapshot = "reos.identity.user.snapshot"
	IdentityTeamSnapshot = "reos.identity.team.snapshot"
)

// IdentityReadModel is the write side of the users and teams read model,
// bound to the consumer's transaction (app.org_id is the event's org).
// Every method is an idempotent upsert or delete, and deletions of users and
// teams are sticky, so redelivered and reordered events are harmless. Each
// row keeps the time of the latest event applied to it (updated_at, only
// moving forward), against which snapshots are judged.
type IdentityReadModel interface {
	// UpsertUser records userID as a user of orgID at `at`. roles nil keeps
	// the known roles (a new row has none); deleted marks the user inactive
	// for good.
	UpsertUser(ctx context.Context, orgID, userID string, roles []string, deleted bool, at time.Time) error
	// SnapshotUser records an active user's snapshot taken at `at`: the
	// user becomes known with roles, but a known row keeps its roles if it
	// has applied an event later than the snapshot; it never revives a
	// deleted user.
	SnapshotUser(ctx context.Context, orgID, userID string, roles []string, at time.Time) error
	// AddTeamMember makes teamID known and userID its member, unless the
	// team is known as deleted.
	AddTeamMember(ctx context.Context, orgID, teamID, userID string, at time.Time) error
	// RemoveTeamMember drops userID from teamID's members as of `at`.
	RemoveTeamMember(ctx context.Context, orgID, teamID, userID string, at time.Time) error
	// DeleteTeam marks teamID deleted and drops its members.
	DeleteTeam(ctx context.Context, orgID, teamID string, at time.Time) error
	// SnapshotTeam records a live team's snapshot taken at `at`: the team
	// becomes known with exactly members, unless it is known as deleted or
	// has applied an event later than the snapshot (then nothing changes
	// but the team being known).
	SnapshotTeam(ctx context.Context, orgID, teamID string, members []string, at time.Time) error
}

// identityEventData is the part of identity's event data the read model
// needs (identity sends more).
type identityEventData struct {
	UserID string   `json:"user_id"`
	TeamID string   `json:"team_id"`
	OrgID  string   `json:"org_id"`
	Roles  []string `json:"roles"`
	// Snapshots only.
	MemberIDs []string `json:"member_ids"`
	Deleted   bool     `json:"deleted"`
}

// ErrBadIdentityEvent marks an identity event the read model cannot apply
// (no org, a missing or malformed id). The consumer retries it a few times,
// then logs and skips it.
var ErrBadIdentityEvent = errors.New("malformed identity event")

// ApplyIdentityEvent applies one event of reos.identity.events to the read
// model: registered, updated and roles_changed make the user known (the
// first and last with its roles), deleted makes it inactive; member_added
// and member_removed change a team's members, team.deleted removes the team.
// Identity keys user events by user and team events by team, so each
// user's and each team's events arrive in order; the live events are
// applied in that order without comparing times.
//
// Snapshots (user.snapshot, team.snapshot) carry the whole state: a
// deleted user or team is applied as its deletion; otherwise the user's
// roles, or the team's member set, are replaced — unless the row has
// already applied an event stamped later than the snapshot, which can only
// come from a change identity made after reading it (identity locks what it
// snapshots, so earlier changes precede the snapshot on the topic). A
// snapshot is thereby never applied over newer state, even if a retry or
// a second relay delivers it late, and at worst leaves the row as the live
// events made it.
func ApplyIdentityEvent(ctx context.Context, m IdentityReadModel, ev events.Event) error {
	switch ev.Type {
	case IdentityUserRegistered, IdentityUserUpdated, IdentityUserDeleted, IdentityUserRolesChanged,
		IdentityTeamMemberAdded, IdentityTeamMemberRemoved, IdentityTeamDeleted,
		IdentityUserSnapshot, IdentityTeamSnapshot:
	default:
		return nil
	}
	var d identityEventData
	if err := ev.DecodeData(&d); err != nil {
		return fmt.Errorf("%w: %w", ErrBadIdentityEvent, err)
	}
	if ev.OrgID == "" || (d.OrgID != "" && d.OrgID != ev.OrgID) {
		return fmt.Errorf("%w: %s %s: orgid %q, data org_id %q", ErrBadIdentityEvent, ev.Type, ev.ID, ev.OrgID, d.OrgID)
	}
	at := ev.Time.UTC()
	user := func() (string, error) { return eventID(ev, "user_id", d.UserID) }
	team := func() (string, error) { return eventID(ev, "team_id", d.TeamID) }
	switch ev.Type {
	case IdentityTeamMemberAdded, IdentityTeamMemberRemoved:
		t, err := team()
		if err != nil {
			return err
		}
		u, err := user()
		if err != nil {
			return err
		}
		if ev.Type == IdentityTeamMemberAdded {
			return m.AddTeamMember(ctx, ev.OrgID, t, u, at)
		}
		return m.RemoveTeamMember(ctx, ev.OrgID, t, u, at)
	case IdentityTeamDeleted:
		t, err := team()
		if err != nil {
			return err
		}
		return m.DeleteTeam(ctx, ev.OrgID, t, at)
	case IdentityTeamSnapshot:
		t, err := team()
		if err != nil {
			return err
		}
		if d.Deleted {
			return m.DeleteTeam(ctx, ev.OrgID, t, at)
		}
		members := make([]string, 0, len(d.MemberIDs))
		for _, id := range d.MemberIDs {
			u, err := eventID(ev, "member_ids", id)
			if err != nil {
				return err
			}
			members = append(members, u)
		}
		return m.SnapshotTeam(ctx, ev.OrgID, t, members, at)
	}
	u, err := user()
	if err != nil {
		return err
	}
	if ev.Type == IdentityUserSnapshot {
		if d.Deleted {
			return m.UpsertUser(ctx, ev.OrgID, u, nil, true, at)
		}
		roles := d.Roles
		if roles == nil {
			roles = []string{}
		}
		return m.SnapshotUser(ctx, ev.OrgID, u, roles, at)
	}
	var roles []string
	if ev.Type == IdentityUserRegistered || ev.Type == IdentityUserRolesChanged {
		roles = d.Roles
		if roles == nil {
			roles = []string{}
		}
	}
	return m.UpsertUser(ctx, ev.OrgID, u, roles, ev.Type == IdentityUserDeleted, at)
}

// eventID returns the named id of an event in canonical form.
func eventID(ev events.Event, field, v string) (string, error) {
	id, err := uuid.Parse(v)
	if err != nil {
		return "", fmt.Errorf("%w: %s %s: %s %q is not a UUID", ErrBadIdentityEvent, ev.Type, ev.ID, field, v)
	}
	return id.String(), nil
}
