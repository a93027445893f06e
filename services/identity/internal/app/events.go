package app

// EventsTopic is identity's topic; the key of a user event is the user id
// (or the email key for logins with an unknown email), of a team event the
// team id, so each aggregate's events stay in order on one partition.
const EventsTopic = "reos.identity.events"

// EventSource is the CloudEvents source of identity's events.
const EventSource = "reos.identity"

// Event types. Event data never carries password hashes, passwords or tokens.
const (
	EventUserRegistered   = "reos.identity.user.registered"
	EventLoginSucceeded   = "reos.identity.login.succeeded"
	EventLoginFailed      = "reos.identity.login.failed"
	EventAccountLocked    = "reos.identity.account.locked"
	EventUserUpdated      = "reos.identity.user.updated"
	EventUserDeleted      = "reos.identity.user.deleted"
	EventUserRolesChanged = "reos.identity.user.roles_changed"
	EventPasswordChanged  = "reos.identity.password.changed" // #nosec G101 -- an event type, not a credential
	// EventSessionRevoked records sessions ended before their time (logout,
	// password change or reset, role change, deletion, refresh reuse), for
	// audit; verifiers learn of them through the revocation feed.
	EventSessionRevoked = "reos.identity.session.revoked"
	// Team events let other services keep a read model of who is in which
	// team (crm assigns leads round-robin among a team's members). Deleting
	// a team removes its memberships: team.deleted stands for all of them.
	EventTeamMemberAdded   = "reos.identity.team.member_added"
	EventTeamMemberRemoved = "reos.identity.team.member_removed"
	EventTeamDeleted       = "reos.identity.team.deleted"
)

// userEventData is the common payload of user events.
type userEventData struct {
	UserID   string   `json:"user_id"`
	OrgID    string   `json:"org_id"`
	Email    string   `json:"email,omitempty"`
	FullName string   `json:"full_name,omitempty"`
	Roles    []string `json:"roles,omitempty"`
	Via      string   `json:"via,omitempty"`
	ActorID  string   `json:"actor_id,omitempty"`
}

// teamEventData is the payload of team events; UserID is empty on
// team.deleted.
type teamEventData struct {
	TeamID  string `json:"team_id"`
	OrgID   string `json:"org_id"`
	UserID  string `json:"user_id,omitempty"`
	ActorID string `json:"actor_id,omitempty"`
}
