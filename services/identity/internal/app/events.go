package app

// EventsTopic is identity's topic; the key of every event is the user id (or
// the email key for logins with an unknown email).
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
	EventPasswordChanged  = "reos.identity.password.changed"
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
