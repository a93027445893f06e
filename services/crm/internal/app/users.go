package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/events"
)

// Identity's team event types crm's read model applies (topic
// reos.identity.events; identity defines them, crm alone reads them). The
// user events are pkg/events' (events.IdentityUser*, parsed once by
// events.ParseUserEvent for every users read model); every other type on
// the topic (logins, lockouts, password changes) is ignored.
const (
	IdentityTeamMemberAdded   = "reos.identity.team.member_added"
	IdentityTeamMemberRemoved = "reos.identity.team.member_removed"
	IdentityTeamDeleted       = "reos.identity.team.deleted"
	// IdentityTeamSnapshot is a team's whole state (`identity republish`).
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

// teamEventData is the part of identity's team event data the read model
// needs (identity sends more).
type teamEventData struct {
	UserID string `json:"user_id"`
	TeamID string `json:"team_id"`
	OrgID  string `json:"org_id"`
	// Snapshots only.
	MemberIDs []string `json:"member_ids"`
	Deleted   bool     `json:"deleted"`
}

// ErrBadIdentityEvent marks an identity event the read model cannot apply
// (no org, a missing or malformed id); a bad user event's error wraps
// events.ErrBadUserEvent too. The consumer retries it a few times, then
// logs and skips it.
var ErrBadIdentityEvent = errors.New("malformed identity event")

// ApplyIdentityEvent applies one event of reos.identity.events to the read
// model: the user events through events.ParseUserEvent (applyUserChange),
// member_added and member_removed change a team's members, team.deleted
// removes the team. Identity keys user events by user and team events by
// team, so each user's and each team's events arrive in order; the live
// events are applied in that order without comparing times.
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
	if c, ok, err := events.ParseUserEvent(ev); ok {
		if err != nil {
			return fmt.Errorf("%w: %w", ErrBadIdentityEvent, err)
		}
		return applyUserChange(ctx, m, c)
	}
	switch ev.Type {
	case IdentityTeamMemberAdded, IdentityTeamMemberRemoved, IdentityTeamDeleted, IdentityTeamSnapshot:
	default:
		return nil
	}
	var d teamEventData
	if err := ev.DecodeData(&d); err != nil {
		return fmt.Errorf("%w: %w", ErrBadIdentityEvent, err)
	}
	if ev.OrgID == "" || (d.OrgID != "" && d.OrgID != ev.OrgID) {
		return fmt.Errorf("%w: %s %s: orgid %q, data org_id %q", ErrBadIdentityEvent, ev.Type, ev.ID, ev.OrgID, d.OrgID)
	}
	at := ev.Time.UTC()
	t, err := eventID(ev, "team_id", d.TeamID)
	if err != nil {
		return err
	}
	switch ev.Type {
	case IdentityTeamMemberAdded, IdentityTeamMemberRemoved:
		u, err := eventID(ev, "user_id", d.UserID)
		if err != nil {
			return err
		}
		if ev.Type == IdentityTeamMemberAdded {
			return m.AddTeamMember(ctx, ev.OrgID, t, u, at)
		}
		return m.RemoveTeamMember(ctx, ev.OrgID, t, u, at)
	case IdentityTeamDeleted:
		return m.DeleteTeam(ctx, ev.OrgID, t, at)
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

// applyUserChange applies what one identity user event says (parsed by
// events.ParseUserEvent): a deletion marks the user inactive for good, a
// snapshot replaces its roles unless newer state is known, and the live
// events make it known, with its roles when the event states them.
func applyUserChange(ctx context.Context, m IdentityReadModel, c events.UserChange) error {
	switch {
	case c.Deleted:
		return m.UpsertUser(ctx, c.OrgID, c.UserID, nil, true, c.At)
	case c.Snapshot:
		return m.SnapshotUser(ctx, c.OrgID, c.UserID, c.Roles, c.At)
	}
	return m.UpsertUser(ctx, c.OrgID, c.UserID, c.Roles, false, c.At)
}

// eventID returns the named id of an event in canonical form.
func eventID(ev events.Event, field, v string) (string, error) {
	id, err := uuid.Parse(v)
	if err != nil {
		return "", fmt.Errorf("%w: %s %s: %s %q is not a UUID", ErrBadIdentityEvent, ev.Type, ev.ID, field, v)
	}
	return id.String(), nil
}
