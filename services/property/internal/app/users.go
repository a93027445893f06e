package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/events"
)

// UserRepository is property's read model of identity's users in the
// transaction's organisation (migration 10), fed by the consumer of
// reos.identity.events. It knows only whether a user exists and whether
// identity deleted it: what a listing's agent is checked against.
type UserRepository interface {
	// Active reports whether userID is a known, not deleted user of the
	// organisation.
	Active(ctx context.Context, userID string) (bool, error)
}

// UserReadModel is the write side of the users read model, bound to the
// consumer's transaction (app.org_id is the event's organisation).
type UserReadModel interface {
	// Record makes userID a known user of orgID as of at; deleted makes it
	// inactive for good (no later Record revives it).
	Record(ctx context.Context, orgID, userID string, deleted bool, at time.Time) error
}

// ApplyUserChange applies one of identity's user events (parsed by
// events.ParseUserEvent) to the read model: every live event and every
// snapshot makes the user known, a deletion (live or in a snapshot) makes
// it inactive. The read model keeps nothing that a later event could
// contradict except deletion, which is terminal and sticky, so redelivered,
// reordered and late snapshot events all converge on identity's state
// without comparing times.
func ApplyUserChange(ctx context.Context, m UserReadModel, c events.UserChange) error {
	return m.Record(ctx, c.OrgID, c.UserID, c.Deleted, c.At)
}

// checkAgent refuses a listing agent who is not an active user of the
// caller's organisation as the read model knows it: another organisation's
// user (row-level security hides it), an id identity never issued and a
// deleted user are all the same 422 naming agent_user_id. The caller
// itself is always accepted (its token proves it is a user of the
// organisation, and it is the default agent), so a user whose
// registration has not reached the read model yet can still list.
func checkAgent(ctx context.Context, tx Tx, callerID string, agentID *string) error {
	if agentID == nil {
		return nil
	}
	if caller, err := uuid.Parse(callerID); err == nil && caller.String() == *agentID {
		return nil // agentID is canonical (domain.Listing)
	}
	ok, err := tx.Users().Active(ctx, *agentID)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.Invalid("agent_user_id", "no active user of the organisation has this id")
	}
	return nil
}
