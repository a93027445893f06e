package domain

import (
	"time"

	"reos.dev/pkg/apperr"
)

// User statuses. A deleted user keeps its row (deleted_at) for audit and
// references but cannot sign in and is hidden from the ordinary lists.
const (
	UserActive  = "active"
	UserDeleted = "deleted"
)

// User is an account; it belongs to exactly one organisation, and its email
// is unique across the whole system.
type User struct {
	ID           string
	OrgID        string
	Email        string
	FullName     string
	Phone        *string
	Title        *string
	Timezone     *string
	Status       string
	PasswordHash string
	// Roles are the names of the roles assigned to the user (a read model
	// filled by the repository).
	Roles             []string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	LastLoginAt       *time.Time
	PasswordChangedAt time.Time
	DeletedAt         *time.Time
}

// NewUserInput is what creating an account needs; the password is already
// validated and hashed by the caller (hashing is I/O-free but slow and
// belongs to a port).
type NewUserInput struct {
	Email        string
	FullName     string
	PasswordHash string
}

// NewUser returns an active user. Email and name are validated and the email
// normalised; use ValidateNewAccount first to report the password as well.
func NewUser(id, orgID string, in NewUserInput, now time.Time) (User, error) {
	var fields fieldList
	email := NormalizeEmail(in.Email)
	if msg := emailProblem(email); msg != "" {
		fields.add("email", msg)
	}
	name := cleanText(&fields, "full_name", in.FullName, 1, MaxNameLen)
	if in.PasswordHash == "" {
		fields.add("password", "is required")
	}
	if err := fields.err(); err != nil {
		return User{}, err
	}
	return User{
		ID: id, OrgID: orgID, Email: email, FullName: name, Status: UserActive,
		PasswordHash: in.PasswordHash, CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now,
	}, nil
}

// AccountInput is the client's input for a new account (registration or an
// admin creating a user).
type AccountInput struct {
	Email            string
	Password         string
	FullName         string
	OrganizationName *string // registration only
}

// ValidateNewAccount checks every field of a new account at once so the
// client sees all problems in one answer, and returns the input normalised.
func ValidateNewAccount(in AccountInput) (AccountInput, error) {
	var fields fieldList
	out := AccountInput{Email: NormalizeEmail(in.Email), Password: in.Password}
	if msg := emailProblem(out.Email); msg != "" {
		fields.add("email", msg)
	}
	if err := ValidatePassword("password", in.Password, out.Email); err != nil {
		if e, ok := apperr.As(err); ok {
			for _, f := range e.Fields {
				fields.add(f.Field, f.Message)
			}
		}
	}
	out.FullName = cleanText(&fields, "full_name", in.FullName, 1, MaxNameLen)
	if in.OrganizationName != nil {
		name := cleanText(&fields, "organization_name", *in.OrganizationName, 1, MaxNameLen)
		out.OrganizationName = &name
	}
	return out, fields.err()
}

// ProfileUpdate is the part of a user its owner (or users:write) may edit.
// A nil field stays as it is; an empty optional field is cleared.
type ProfileUpdate struct {
	FullName *string
	Phone    *string
	Title    *string
	Timezone *string
}

// UpdateProfile applies p after validating every field.
func (u *User) UpdateProfile(p ProfileUpdate, now time.Time) error {
	var fields fieldList
	next := *u
	if p.FullName != nil {
		next.FullName = cleanText(&fields, "full_name", *p.FullName, 1, MaxNameLen)
	}
	if p.Phone != nil {
		next.Phone = cleanOptional(&fields, "phone", p.Phone, MaxPhoneLen)
		if next.Phone != nil && !validPhone(*next.Phone) {
			fields.add("phone", "must be a phone number of 5 to 20 digits, optionally starting with +")
		}
	}
	if p.Title != nil {
		next.Title = cleanOptional(&fields, "title", p.Title, MaxTitleLen)
	}
	if p.Timezone != nil {
		next.Timezone = cleanOptional(&fields, "timezone", p.Timezone, MaxTimezoneLen)
		if next.Timezone != nil && !validTimezone(*next.Timezone) {
			fields.add("timezone", "must be an IANA time zone such as Europe/Paris")
		}
	}
	if err := fields.err(); err != nil {
		return err
	}
	next.UpdatedAt = now
	*u = next
	return nil
}

// SetPassword replaces the password hash.
func (u *User) SetPassword(hash string, now time.Time) {
	u.PasswordHash, u.PasswordChangedAt, u.UpdatedAt = hash, now, now
}

// CheckDeletableBy refuses to let actorID delete itself: an organisation
// would otherwise lose the person who noticed the mistake.
func (u User) CheckDeletableBy(actorID string) error {
	if u.ID == actorID {
		return apperr.Unprocessable(ReasonCannotDeleteSelf, "you cannot delete your own account")
	}
	return nil
}

// ErrLastAdmin reports a change that would leave the organisation with no admin.
func ErrLastAdmin() error {
	return apperr.Conflict(ReasonLastAdmin, "the organisation must keep at least one admin")
}
