package domain

import (
	"slices"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
)

// The system roles every organisation gets at registration. Their names
// cannot change and they cannot be deleted; other services may rely on them.
const (
	RoleAdmin  = "admin"
	RoleSales  = "sales"
	RoleAgent  = "agent"
	RoleViewer = "viewer"
)

// Role is a named set of permissions within one organisation.
type Role struct {
	ID          string
	OrgID       string
	Name        string
	Description string
	Permissions []string
	System      bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SystemRoles returns the four roles seeded into a new organisation, with
// ids from newID. The matrix is documented in openapi.yaml (tag roles).
func SystemRoles(orgID string, now time.Time, newID func() string) []Role {
	readAll := readPermissions()
	sales := []string{
		PermUsersRead, PermTeamsRead, PermRolesRead,
		"properties:read", "properties:write", "leads:read", "leads:write", "deals:read", "deals:write",
		"campaigns:read", "campaigns:write", "campaigns:launch", "templates:read", "templates:write",
		"compliance:read", "compliance:write", "portfolio:read", "analytics:read", "tasks:read", "tasks:write",
	}
	agent := []string{
		PermUsersRead, PermTeamsRead, PermRolesRead,
		"properties:read", "properties:write", "leads:read", "leads:write", "deals:read", "deals:write",
		"campaigns:read", "templates:read", "compliance:read", "portfolio:read", "tasks:read", "tasks:write",
	}
	mk := func(name, desc string, perms []string) Role {
		slices.Sort(perms)
		return Role{ID: newID(), OrgID: orgID, Name: name, Description: desc, Permissions: slices.Compact(perms),
			System: true, CreatedAt: now, UpdatedAt: now}
	}
	return []Role{
		mk(RoleAdmin, "Full access to everything in the organisation", []string{PermAll}),
		mk(RoleSales, "Outreach and pipeline: leads, deals, campaigns and templates", sales),
		mk(RoleAgent, "Day-to-day listings, leads and deals; reads campaigns", agent),
		mk(RoleViewer, "Read-only access to everything", readAll),
	}
}

func readPermissions() []string {
	var out []string
	for _, p := range catalogue {
		if strings.HasSuffix(p.Name, ":read") {
			out = append(out, p.Name)
		}
	}
	return out
}

// RoleInput is what a client may set on a role.
type RoleInput struct {
	Name        string
	Description string
	Permissions []string
}

// NewRole validates in and returns a custom (non-system) role.
func NewRole(id, orgID string, in RoleInput, now time.Time) (Role, error) {
	r := Role{ID: id, OrgID: orgID, CreatedAt: now, UpdatedAt: now}
	if err := r.apply(in, now); err != nil {
		return Role{}, err
	}
	return r, nil
}

// Update replaces the role's name, description and permissions. A system
// role keeps its name, and the admin role keeps "*" so an organisation can
// never lock itself out.
func (r *Role) Update(in RoleInput, now time.Time) error {
	if r.System && strings.ToLower(strings.TrimSpace(in.Name)) != r.Name {
		return apperr.Invalid("name", "the name of a system role cannot change")
	}
	next := *r
	if err := next.apply(in, now); err != nil {
		return err
	}
	if r.System && r.Name == RoleAdmin && !slices.Equal(next.Permissions, []string{PermAll}) {
		return apperr.Invalid("permissions", `the admin role always holds "*"`)
	}
	*r = next
	return nil
}

func (r *Role) apply(in RoleInput, now time.Time) error {
	var fields fieldList
	name := strings.ToLower(cleanText(&fields, "name", in.Name, 1, MaxRoleNameLen))
	if name != "" && !validSlug(name) {
		fields.add("name", "must be lower-case letters, digits, '-' or '_', starting with a letter")
	}
	desc := cleanText(&fields, "description", in.Description, 0, MaxDescriptionLen)
	if in.Permissions == nil {
		fields.add("permissions", "is required (use [] for none)")
	}
	perms, err := NormalizePermissions("permissions", in.Permissions)
	if e, ok := apperr.As(err); ok {
		for _, f := range e.Fields {
			fields.add(f.Field, f.Message)
		}
	}
	if err := fields.err(); err != nil {
		return err
	}
	r.Name, r.Description, r.Permissions, r.UpdatedAt = name, desc, perms, now
	return nil
}

// CheckDeletable refuses to delete a system role.
func (r Role) CheckDeletable() error {
	if r.System {
		return apperr.Conflict(ReasonSystemRole, "system roles cannot be deleted")
	}
	return nil
}

func validSlug(s string) bool {
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return s != ""
}

// ValidRoleName reports whether s has the shape of a role name.
func ValidRoleName(s string) bool { return len(s) <= MaxRoleNameLen && validSlug(s) }
