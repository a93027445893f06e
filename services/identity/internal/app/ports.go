package app

import (
	"context"
	"time"

	"reos.dev/services/identity/internal/domain"
)

// Clock tells the time. Lockouts, token lifetimes and timestamps all read it,
// so tests move time forward instead of sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// PasswordHasher hashes and checks passwords (argon2id in production).
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches the encoded hash. It takes as
	// long for a wrong password as for a right one.
	Verify(password, encodedHash string) (bool, error)
}

// TokenClaims is what identity puts into a token; the issuer adds iss, aud
// and the signature.
type TokenClaims struct {
	ID        string // jti
	Use       string // "access" or "refresh" (auth.TokenUse*)
	SessionID string // sid: the refresh-token family of the login
	UserID    string
	OrgID     string
	Email     string
	Roles     []string
	Perms     []string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// TokenIssuer signs tokens and checks the refresh tokens it signed.
type TokenIssuer interface {
	Sign(c TokenClaims) (string, error)
	// VerifyRefresh checks signature, issuer, audience, expiry and token_use
	// of a refresh token and returns its claims.
	VerifyRefresh(ctx context.Context, token string) (TokenClaims, error)
}

// SessionRevoker tells every verifier that sessions (sids) have ended, so
// their access tokens are refused until the time given for each instead of
// until they expire (auth.Revocations). It is called after the transaction
// that ended them has committed; an error means the news may not have
// spread (SessionSync writes it again). Writing an entry again is harmless.
type SessionRevoker interface {
	RevokeUntil(ctx context.Context, sessions map[string]time.Time) error
}

// LoginRecord is the minimum a login needs before its organisation is
// known: found through a SECURITY DEFINER lookup by normalised email.
type LoginRecord struct {
	UserID       string
	OrgID        string
	PasswordHash string
	Status       string
}

// Store opens transactions over identity's data. Every tenant read and write
// happens inside InOrg, where row-level security shows one organisation only.
type Store interface {
	// InOrg runs fn in one transaction scoped to orgID. fn's error rolls back.
	InOrg(ctx context.Context, orgID string, fn func(Tx) error) error
	// WithoutOrg runs fn in a transaction that sees no tenant rows: for the
	// pre-authentication bookkeeping of logins with an unknown email.
	WithoutOrg(ctx context.Context, fn func(Tx) error) error
	// LookupLogin finds the credentials of an active account by normalised
	// email across organisations; found is false for unknown emails.
	LookupLogin(ctx context.Context, email string) (rec LoginRecord, found bool, err error)
	// Throttle reads the login throttle of an email key; the zero throttle
	// (with Key set) when there is none.
	Throttle(ctx context.Context, key string) (domain.LoginThrottle, error)
}

// Tx gives the repositories of one transaction.
type Tx interface {
	Orgs() OrgRepository
	Users() UserRepository
	Roles() RoleRepository
	Teams() TeamRepository
	Tokens() TokenRepository
	Throttles() ThrottleRepository
	Attempts() AttemptRepository
	Events() EventPublisher
	// Profile reads a user, its organisation and its roles in one round
	// trip: GET /auth/me is on every client's hot path.
	Profile(ctx context.Context, userID, orgID string) (domain.User, domain.Organization, []domain.Role, error)
}

// OrgRepository stores organisations.
type OrgRepository interface {
	Create(ctx context.Context, o domain.Organization) error
	Get(ctx context.Context, id string) (domain.Organization, error)
	// Lock takes the organisation's row lock until the transaction ends; it
	// serialises changes that must keep an admin (role changes, deletes).
	Lock(ctx context.Context, id string) error
}

// UserQuery selects a page of users.
type UserQuery struct {
	Limit          int
	Cursor         string
	Q              string // substring of name or email
	Role           string // role name
	Status         string // "", active, locked, deleted
	Sort           string // a UserSorts key
	IncludeDeleted bool
	Now            time.Time // for the locked status
}

// UserSorts is the sort whitelist of user lists ("-" prefix for descending).
var UserSorts = []string{"created_at", "-created_at", "email", "-email", "full_name", "-full_name"}

// UserRow is a user with its login throttle state, for lists.
type UserRow struct {
	domain.User
	LockedUntil    *time.Time
	FailedAttempts int
}

// UserRepository stores users. Get and GetForUpdate hide deleted users.
type UserRepository interface {
	Create(ctx context.Context, u domain.User) error
	Get(ctx context.Context, id string) (domain.User, error)
	GetForUpdate(ctx context.Context, id string) (domain.User, error)
	Update(ctx context.Context, u domain.User) error
	TouchLogin(ctx context.Context, id string, at time.Time) error
	SoftDelete(ctx context.Context, id string, at time.Time) error
	List(ctx context.Context, q UserQuery) (rows []UserRow, next string, err error)
	SetRoles(ctx context.Context, userID string, roleIDs []string, at time.Time) error
	// CountAdmins counts active users holding "*" through any role.
	CountAdmins(ctx context.Context) (int, error)
}

// PageQuery selects a page of a list sorted by name.
type PageQuery struct {
	Limit  int
	Cursor string
}

// RoleRepository stores roles.
type RoleRepository interface {
	Create(ctx context.Context, r domain.Role) error
	Get(ctx context.Context, id string) (domain.Role, error)
	GetForUpdate(ctx context.Context, id string) (domain.Role, error)
	// ByNames returns the roles with these names, in any order; missing
	// names are simply absent.
	ByNames(ctx context.Context, names []string) ([]domain.Role, error)
	ForUser(ctx context.Context, userID string) ([]domain.Role, error)
	List(ctx context.Context, q PageQuery) (roles []domain.Role, next string, err error)
	Update(ctx context.Context, r domain.Role) error
	Delete(ctx context.Context, id string) error
	CountUsers(ctx context.Context, roleID string) (int, error)
}

// TeamRepository stores teams and memberships.
type TeamRepository interface {
	Create(ctx context.Context, t domain.Team) error
	Get(ctx context.Context, id string) (domain.Team, error)
	GetForUpdate(ctx context.Context, id string) (domain.Team, error)
	List(ctx context.Context, q PageQuery) (teams []domain.Team, next string, err error)
	Update(ctx context.Context, t domain.Team) error
	// Delete removes the team with its memberships and keeps its id as
	// deleted at `at` (for republishing).
	Delete(ctx context.Context, id string, at time.Time) error
	Members(ctx context.Context, teamID string) ([]domain.TeamMember, error)
	AddMember(ctx context.Context, orgID, teamID, userID string, at time.Time) error
	// RemoveMember reports whether the user was a member.
	RemoveMember(ctx context.Context, teamID, userID string) (bool, error)
}

// TokenRepository stores refresh token records. A family is a session:
// its id is the sid of every token pair of one login.
type TokenRepository interface {
	Create(ctx context.Context, t domain.RefreshToken) error
	GetForUpdate(ctx context.Context, id string) (domain.RefreshToken, error)
	MarkUsed(ctx context.Context, id, replacedBy string, at time.Time) error
	// RevokeFamily revokes the family's live tokens and counts them (0: the
	// family had already ended).
	RevokeFamily(ctx context.Context, familyID string, at time.Time, reason string) (int, error)
	// RevokeUser revokes every live token of the user and returns the
	// families (sessions) that had one.
	RevokeUser(ctx context.Context, userID string, at time.Time, reason string) ([]string, error)
	// RevokeRoleHolders does RevokeUser for every user holding the role.
	RevokeRoleHolders(ctx context.Context, roleID string, at time.Time, reason string) ([]UserSessions, error)
}

// UserSessions are the sessions of one user that a change ended.
type UserSessions struct {
	UserID   string
	Sessions []string
}

// ThrottleRepository changes login throttles under a row lock.
type ThrottleRepository interface {
	// Update loads (or creates) the throttle of key locked for update, runs
	// fn on it and stores the result.
	Update(ctx context.Context, key string, fn func(*domain.LoginThrottle) error) error
}

// LoginAttempt is one recorded login attempt.
type LoginAttempt struct {
	ID        string
	OrgID     string // "" when the email is unknown
	UserID    string // "" when the email is unknown
	EmailKey  string
	IP        string
	UserAgent string
	Success   bool
	Reason    string
	At        time.Time
}

// AttemptRepository records login attempts.
type AttemptRepository interface {
	Record(ctx context.Context, a LoginAttempt) error
}

// EventPublisher enqueues a domain event in the transaction's outbox, so the
// event is published if and only if the change commits.
type EventPublisher interface {
	Publish(ctx context.Context, eventType, key, orgID string, data any) error
}
