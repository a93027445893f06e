// Package app holds identity's use cases behind the Service interface, and
// declares the ports they need (store and repositories, token issuer,
// password hasher, clock, event publisher). Every use case that acts for a
// caller checks the caller's permission here, whatever the transport did.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"reos.dev/services/identity/internal/domain"
)

// Service is identity's application API.
type Service interface {
	// Register creates a new organisation with its system roles and its first
	// user, who becomes its admin.
	Register(ctx context.Context, in RegisterInput) (domain.User, error)
	Login(ctx context.Context, in LoginInput) (TokenPair, error)
	Refresh(ctx context.Context, refreshToken string) (TokenPair, error)
	Logout(ctx context.Context, refreshToken string) error
	Me(ctx context.Context) (Me, error)
	ChangePassword(ctx context.Context, in ChangePasswordInput) error

	ListUsers(ctx context.Context, q UserQuery) (Page[UserRow], error)
	GetUser(ctx context.Context, id string) (domain.User, error)
	UpdateUser(ctx context.Context, id string, p domain.ProfileUpdate) (domain.User, error)
	DeleteUser(ctx context.Context, id string) error

	AdminListUsers(ctx context.Context, q UserQuery) (Page[UserRow], error)
	AdminCreateUser(ctx context.Context, in CreateUserInput) (domain.User, error)
	SetUserRoles(ctx context.Context, id string, roles []string) (domain.User, error)
	ResetPassword(ctx context.Context, id string) (PasswordReset, error)

	ListTeams(ctx context.Context, q PageQuery) (Page[domain.Team], error)
	CreateTeam(ctx context.Context, in domain.TeamInput) (TeamDetail, error)
	GetTeam(ctx context.Context, id string) (TeamDetail, error)
	UpdateTeam(ctx context.Context, id string, in domain.TeamInput) (TeamDetail, error)
	DeleteTeam(ctx context.Context, id string) error
	AddTeamMember(ctx context.Context, teamID, userID string) (TeamDetail, error)
	RemoveTeamMember(ctx context.Context, teamID, userID string) error

	ListRoles(ctx context.Context, q PageQuery) (Page[domain.Role], error)
	CreateRole(ctx context.Context, in domain.RoleInput) (domain.Role, error)
	GetRole(ctx context.Context, id string) (domain.Role, error)
	UpdateRole(ctx context.Context, id string, in domain.RoleInput) (domain.Role, error)
	DeleteRole(ctx context.Context, id string) error
	Permissions(ctx context.Context) ([]domain.Permission, error)

	// SeedDemo creates the demo organisation and users if missing (mock mode only).
	SeedDemo(ctx context.Context) (SeedReport, error)
}

// RegisterInput is a sign-up.
type RegisterInput struct {
	Email            string
	Password         string
	FullName         string
	OrganizationName string
}

// LoginInput is a sign-in with where it came from (recorded, never trusted).
type LoginInput struct {
	Email     string
	Password  string
	IP        string
	UserAgent string
}

// TokenPair is the answer to a login or refresh.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	ExpiresIn    int // seconds until the access token expires
}

// Me is the caller with organisation, roles and effective permissions.
type Me struct {
	User         domain.User
	Organization domain.Organization
	Roles        []domain.Role
	Permissions  []string
}

// ChangePasswordInput changes the caller's own password.
type ChangePasswordInput struct {
	CurrentPassword string
	NewPassword     string
}

// CreateUserInput is an admin creating a user in its organisation.
type CreateUserInput struct {
	Email    string
	Password string
	FullName string
	Roles    []string
}

// PasswordReset is the outcome of an admin reset. TemporaryPassword is set in
// mock mode only; in production the user learns it out of band.
type PasswordReset struct {
	TemporaryPassword string
}

// TeamDetail is a team with its members.
type TeamDetail struct {
	Team    domain.Team
	Members []domain.TeamMember
}

// Page is one page of a list; Next is the cursor of the next page ("" at the end).
type Page[T any] struct {
	Items []T
	Next  string
}

// Config tunes the service.
type Config struct {
	// Mode is "mock" or "production"; mock returns temporary passwords in
	// answers and allows the demo seed.
	Mode       string
	AccessTTL  time.Duration
	RefreshTTL time.Duration
}

// Deps are the ports the service needs; all are required.
type Deps struct {
	Store    Store
	Hasher   PasswordHasher
	Tokens   TokenIssuer
	Sessions SessionRevoker
	Clock    Clock
	Logger   *slog.Logger
}

// Default token lifetimes.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// Modes.
const (
	ModeMock       = "mock"
	ModeProduction = "production"
)

type service struct {
	cfg    Config
	store  Store
	hasher PasswordHasher
	tokens TokenIssuer
	// sessions spreads the news of ended sessions (see sessions.go).
	sessions SessionRevoker
	clock    Clock
	log      *slog.Logger
	// dummyHash is the hash of a random password that logins with an unknown
	// email are checked against, so they take as long as a wrong password.
	// It is made on first use: an argon2id hash holds 19 MiB while it runs,
	// which an idle process should not carry.
	dummyHash func() (string, error)
}

// NewService returns the service.
func NewService(cfg Config, deps Deps) (Service, error) {
	var errs []error
	if deps.Store == nil {
		errs = append(errs, errors.New("nil Store"))
	}
	if deps.Hasher == nil {
		errs = append(errs, errors.New("nil Hasher"))
	}
	if deps.Tokens == nil {
		errs = append(errs, errors.New("nil Tokens"))
	}
	if deps.Sessions == nil {
		errs = append(errs, errors.New("nil Sessions"))
	}
	if deps.Clock == nil {
		errs = append(errs, errors.New("nil Clock"))
	}
	if deps.Logger == nil {
		errs = append(errs, errors.New("nil Logger"))
	}
	if cfg.Mode != ModeMock && cfg.Mode != ModeProduction {
		errs = append(errs, errors.New(`config: mode must be "mock" or "production"`))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(errors.New("app: NewService"), err)
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	hasher := deps.Hasher
	return &service{
		cfg: cfg, store: deps.Store, hasher: deps.Hasher, tokens: deps.Tokens, sessions: deps.Sessions, clock: deps.Clock,
		log:       deps.Logger.With("component", "identity-app"),
		dummyHash: sync.OnceValues(func() (string, error) { return hasher.Hash(rand.Text()) }),
	}, nil
}

// newID returns a UUIDv7: time-ordered, so primary keys index well.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// now returns the clock's time truncated to microseconds, PostgreSQL's
// precision, so values read back compare equal to values written.
func (s *service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }
