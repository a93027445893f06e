package app

import (
	"context"
	"errors"

	"reos.dev/pkg/events"
)

// Snapshot events: the current state of one user or team, written by
// `identity republish` so that consumers which missed the live events can
// rebuild their read models (crm's users read model). Keyed like the live
// events (user id, team id), so on the topic each sits in order with its
// aggregate's other events.
const (
	EventUserSnapshot = "reos.identity.user.snapshot"
	EventTeamSnapshot = "reos.identity.team.snapshot"
)

// userSnapshotData is a user as it is now; a deleted user is sent too
// (deleted, roles as they were), so a consumer that missed user.deleted
// learns it.
type userSnapshotData struct {
	UserID   string   `json:"user_id"`
	OrgID    string   `json:"org_id"`
	Email    string   `json:"email"`
	FullName string   `json:"full_name"`
	Roles    []string `json:"roles"`
	Deleted  bool     `json:"deleted"`
}

// teamSnapshotData is a team with its members (active users only, as GET
// /teams/{id} lists them), or a deleted team (no name, no members).
type teamSnapshotData struct {
	TeamID    string   `json:"team_id"`
	OrgID     string   `json:"org_id"`
	Name      string   `json:"name,omitempty"`
	MemberIDs []string `json:"member_ids"`
	Deleted   bool     `json:"deleted"`
}

// UserSnapshot is one user's state for a snapshot event.
type UserSnapshot struct {
	ID       string
	Email    string
	FullName string
	Roles    []string
	Deleted  bool
}

// TeamSnapshot is one team's state for a snapshot event.
type TeamSnapshot struct {
	ID        string
	Name      string
	MemberIDs []string
	Deleted   bool
}

// SnapshotStore is the store a republish run reads through.
type SnapshotStore interface {
	// OrgIDs lists at most limit organisation ids after `after` ("" for
	// the first), in id order, across tenants.
	OrgIDs(ctx context.Context, after string, limit int) ([]string, error)
	// InOrg runs fn in one transaction scoped to orgID.
	InOrg(ctx context.Context, orgID string, fn func(SnapshotTx) error) error
}

// SnapshotTx reads the current state a batch at a time, in id order after
// `after` ("" for the first), and writes snapshot events, in one
// transaction. Users and Teams lock what they return against the changes
// whose events carry state (roles, deletion, membership) until the
// transaction ends: such a change either committed before the read, and
// its event precedes the snapshot on the topic, or waits and follows it.
type SnapshotTx interface {
	Users(ctx context.Context, after string, limit int) ([]UserSnapshot, error)
	Teams(ctx context.Context, after string, limit int) ([]TeamSnapshot, error)
	// DeletedTeams returns the teams deleted since identity keeps their
	// trace (migration 4); they never change.
	DeletedTeams(ctx context.Context, after string, limit int) ([]TeamSnapshot, error)
	// PublishAll writes one event of eventType per item to the outbox.
	PublishAll(ctx context.Context, eventType, orgID string, items []EventData) error
}

// EventData is one event's message key (the aggregate id) and data.
type EventData struct {
	Key  string
	Data any
}

// Republisher snapshots identity's users, teams and deleted teams, in
// that order, organisation by organisation (`identity republish`).
func Republisher(store SnapshotStore) (events.Republisher, error) {
	if store == nil {
		return events.Republisher{}, errors.New("app: Republisher: nil store")
	}
	users := func(ctx context.Context, tx SnapshotTx, org, after string, limit int) (string, []EventData, error) {
		us, err := tx.Users(ctx, after, limit)
		if err != nil || len(us) == 0 {
			return "", nil, err
		}
		items := make([]EventData, len(us))
		for i, u := range us {
			roles := u.Roles
			if roles == nil {
				roles = []string{}
			}
			items[i] = EventData{Key: u.ID, Data: userSnapshotData{
				UserID: u.ID, OrgID: org, Email: u.Email, FullName: u.FullName, Roles: roles, Deleted: u.Deleted,
			}}
		}
		return us[len(us)-1].ID, items, nil
	}
	teams := func(read func(SnapshotTx, context.Context, string, int) ([]TeamSnapshot, error)) snapshotBatch {
		return func(ctx context.Context, tx SnapshotTx, org, after string, limit int) (string, []EventData, error) {
			ts, err := read(tx, ctx, after, limit)
			if err != nil || len(ts) == 0 {
				return "", nil, err
			}
			items := make([]EventData, len(ts))
			for i, t := range ts {
				members := t.MemberIDs
				if members == nil {
					members = []string{}
				}
				items[i] = EventData{Key: t.ID, Data: teamSnapshotData{
					TeamID: t.ID, OrgID: org, Name: t.Name, MemberIDs: members, Deleted: t.Deleted,
				}}
			}
			return ts[len(ts)-1].ID, items, nil
		}
	}
	return events.Republisher{Orgs: store.OrgIDs, Kinds: []events.SnapshotKind{
		{Name: "users", Batch: snapshotKind(store, EventUserSnapshot, users)},
		{Name: "teams", Batch: snapshotKind(store, EventTeamSnapshot, teams(SnapshotTx.Teams))},
		{Name: "deleted teams", Batch: snapshotKind(store, EventTeamSnapshot, teams(SnapshotTx.DeletedTeams))},
	}}, nil
}

// snapshotBatch reads one batch inside tx and returns the last id and the
// batch's events.
type snapshotBatch func(ctx context.Context, tx SnapshotTx, org, after string, limit int) (last string, items []EventData, err error)

// snapshotKind runs read and writes its events in one transaction of org.
func snapshotKind(store SnapshotStore, eventType string, read snapshotBatch) func(context.Context, string, string, int) (string, int, error) {
	return func(ctx context.Context, org, after string, limit int) (string, int, error) {
		var last string
		var n int
		err := store.InOrg(ctx, org, func(tx SnapshotTx) error {
			var items []EventData
			var err error
			if last, items, err = read(ctx, tx, org, after, limit); err != nil {
				return err
			}
			n = len(items)
			return tx.PublishAll(ctx, eventType, org, items)
		})
		return last, n, err
	}
}
