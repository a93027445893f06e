package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Identity's user events (topic reos.identity.events): identity's published
// contract, read by every service that keeps a read model of the users of
// an organisation (crm: assignees; property: listing agents). They are
// parsed here, once, so the services agree on what each event says.
// Identity keys them by the user id, so one user's events keep their order
// on one partition.
const (
	IdentityUserRegistered   = "reos.identity.user.registered"
	IdentityUserUpdated      = "reos.identity.user.updated"
	IdentityUserDeleted      = "reos.identity.user.deleted"
	IdentityUserRolesChanged = "reos.identity.user.roles_changed"
	// IdentityUserSnapshot is a user's whole state, written by `identity
	// republish` for read models that missed events; a deleted user is
	// sent too (deleted: true).
	IdentityUserSnapshot = "reos.identity.user.snapshot"
)

// UserChange is what one identity user event says about a user.
type UserChange struct {
	// Type is the event type, one of the IdentityUser* constants.
	Type string
	// OrgID and UserID are canonical UUIDs; OrgID is the event's orgid
	// (the consumer's transaction is scoped to it).
	OrgID, UserID string
	// Roles are the user's role names when the event states them
	// (registered, roles_changed, and the snapshot of a user not
	// deleted), never nil then; nil when it does not (updated, deleted):
	// keep what is known.
	Roles []string
	// Deleted: identity deleted the user (user.deleted, or a snapshot of a
	// deleted user). Deletion is terminal in identity: a read model keeps
	// it whatever arrives later.
	Deleted bool
	// Snapshot: the change comes from a republish snapshot, taken at At. A
	// read model that keeps more than existence and deletion must not let
	// it overwrite state from an event later than At.
	Snapshot bool
	// At is the event's time, UTC.
	At time.Time
}

// ErrBadUserEvent marks an identity user event a read model cannot apply
// (no orgid, an org_id in the data that differs from it, a missing or
// malformed user id). The consumer retries such an event a few times,
// then logs and skips it.
var ErrBadUserEvent = errors.New("events: malformed identity user event")

// userEventData is the part of identity's user event data a read model
// needs (identity sends more: email, name, actor).
type userEventData struct {
	UserID  string   `json:"user_id"`
	OrgID   string   `json:"org_id"`
	Roles   []string `json:"roles"`
	Deleted bool     `json:"deleted"`
}

// ParseUserEvent reads one event of reos.identity.events. ok is false for
// every type that is not a user event (logins, lockouts, password changes,
// team events), which a users read model ignores; otherwise the change is
// returned, or an error wrapping ErrBadUserEvent.
func ParseUserEvent(ev Event) (c UserChange, ok bool, err error) {
	switch ev.Type {
	case IdentityUserRegistered, IdentityUserUpdated, IdentityUserDeleted, IdentityUserRolesChanged, IdentityUserSnapshot:
	default:
		return UserChange{}, false, nil
	}
	var d userEventData
	if err := ev.DecodeData(&d); err != nil {
		return UserChange{}, true, fmt.Errorf("%w: %w", ErrBadUserEvent, err)
	}
	if ev.OrgID == "" || (d.OrgID != "" && d.OrgID != ev.OrgID) {
		return UserChange{}, true, fmt.Errorf("%w: %s %s: orgid %q, data org_id %q", ErrBadUserEvent, ev.Type, ev.ID, ev.OrgID, d.OrgID)
	}
	uid, err := uuid.Parse(d.UserID)
	if err != nil {
		return UserChange{}, true, fmt.Errorf("%w: %s %s: user_id %q is not a UUID", ErrBadUserEvent, ev.Type, ev.ID, d.UserID)
	}
	c = UserChange{Type: ev.Type, OrgID: ev.OrgID, UserID: uid.String(), At: ev.Time.UTC(),
		Snapshot: ev.Type == IdentityUserSnapshot}
	switch {
	case ev.Type == IdentityUserDeleted || (c.Snapshot && d.Deleted):
		c.Deleted = true
	case ev.Type == IdentityUserRegistered || ev.Type == IdentityUserRolesChanged || c.Snapshot:
		c.Roles = d.Roles
		if c.Roles == nil {
			c.Roles = []string{}
		}
	}
	return c, true, nil
}

// UserEventHandler is the Handler of a users read model fed from
// reos.identity.events: apply gets each user event's change, in the
// consumer's transaction (app.org_id is the event's organisation); other
// events are ignored. Consume Topic("identity") with it.
func UserEventHandler(apply func(ctx context.Context, tx pgx.Tx, c UserChange) error) (Handler, error) {
	if apply == nil {
		return nil, errors.New("events: UserEventHandler: nil apply")
	}
	return func(ctx context.Context, tx pgx.Tx, ev Event) error {
		c, ok, err := ParseUserEvent(ev)
		if !ok || err != nil {
			return err
		}
		return apply(ctx, tx, c)
	}, nil
}
