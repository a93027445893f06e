package domain

import (
	"fmt"
	"slices"
	"strings"

	"reos.dev/pkg/apperr"
)

// Permission names one action on one resource, "<resource>:<action>".
type Permission struct {
	Name        string `json:"name"`
	Resource    string `json:"resource"`
	Description string `json:"description"`
}

// PermAll is the wildcard that grants every permission (the admin role).
const PermAll = "*"

// Permissions identity itself checks.
const (
	PermUsersRead  = "users:read"
	PermUsersWrite = "users:write"
	PermUsersAdmin = "users:admin"
	PermTeamsRead  = "teams:read"
	PermTeamsWrite = "teams:write"
	PermRolesRead  = "roles:read"
	PermRolesWrite = "roles:write"
)

// catalogue is the permission catalogue of the platform, in display order.
// Other services check these names in the tokens identity issues; adding one
// here is how a new permission comes to exist.
var catalogue = []Permission{
	{PermUsersRead, "users", "List and view the organisation's users"},
	{PermUsersWrite, "users", "Edit and delete the organisation's users"},
	{PermUsersAdmin, "users", "Create users, assign roles, reset passwords, see lockouts"},
	{PermTeamsRead, "teams", "List and view teams"},
	{PermTeamsWrite, "teams", "Create, edit and delete teams and their members"},
	{PermRolesRead, "roles", "List and view roles and the permission catalogue"},
	{PermRolesWrite, "roles", "Create, edit and delete roles"},
	{"properties:read", "properties", "View properties, listings, images and documents"},
	{"properties:write", "properties", "Create and edit properties and listings"},
	{"leads:read", "leads", "View leads, contacts and activities"},
	{"leads:write", "leads", "Create and edit leads, contacts and activities"},
	{"leads:admin", "leads", "Manage lead assignment rules and the organisation's CRM settings"},
	{"deals:read", "deals", "View deals and pipelines"},
	{"deals:write", "deals", "Create and edit deals"},
	{"campaigns:read", "campaigns", "View campaigns and their results"},
	{"campaigns:write", "campaigns", "Create and edit campaigns"},
	{"campaigns:launch", "campaigns", "Launch, pause and cancel campaigns"},
	{"templates:read", "templates", "View message templates"},
	{"templates:write", "templates", "Create and edit message templates"},
	{"compliance:read", "compliance", "View the do-not-call list and the consent log"},
	{"compliance:write", "compliance", "Edit the do-not-call list and record consent"},
	{"portfolio:read", "portfolio", "View portfolios, holdings and transactions"},
	{"portfolio:write", "portfolio", "Edit portfolios, holdings and transactions"},
	{"analytics:read", "analytics", "View analytics and reports"},
	{"webhooks:read", "webhooks", "View outgoing webhook subscriptions and deliveries"},
	{"webhooks:write", "webhooks", "Manage outgoing webhook subscriptions"},
	{"tasks:read", "tasks", "View background jobs"},
	{"tasks:write", "tasks", "Cancel, retry and replay background jobs"},
	{"admin:*", "admin", "Platform administration (dead-letter queue, audit, storage)"},
}

// Catalogue returns the permission catalogue.
func Catalogue() []Permission { return slices.Clone(catalogue) }

// knownPermission reports whether p may be granted: a catalogue entry, the
// wildcard "*", or "<resource>:*" for a resource of the catalogue.
func knownPermission(p string) bool {
	if p == PermAll {
		return true
	}
	if res, ok := strings.CutSuffix(p, ":*"); ok {
		return slices.ContainsFunc(catalogue, func(c Permission) bool { return c.Resource == res })
	}
	return slices.ContainsFunc(catalogue, func(c Permission) bool { return c.Name == p })
}

// NormalizePermissions validates perms against the catalogue and returns
// them sorted without duplicates. field names the input in errors.
func NormalizePermissions(field string, perms []string) ([]string, error) {
	var fields fieldList
	out := make([]string, 0, len(perms))
	for i, p := range perms {
		p = strings.TrimSpace(p)
		if !knownPermission(p) {
			fields.add(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("%q is not a permission of the catalogue (GET /api/v1/permissions)", p))
			continue
		}
		out = append(out, p)
	}
	if err := fields.err(); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Grants reports whether the granted set covers perm, with the same
// wildcard rules as auth.Principal.Can: "*" covers everything and
// "<resource>:*" covers every action of that resource.
func Grants(granted []string, perm string) bool {
	for _, g := range granted {
		if g == perm || g == PermAll {
			return true
		}
		if res, ok := strings.CutSuffix(g, ":*"); ok && res != "" {
			if rest, ok := strings.CutPrefix(perm, res+":"); ok && rest != "" {
				return true
			}
		}
	}
	return false
}

// CheckCanGrant refuses to let a caller holding granted hand out a permission
// it does not hold itself; otherwise roles:write would be a path to "*".
func CheckCanGrant(granted, perms []string) error {
	for _, p := range perms {
		if !Grants(granted, p) {
			return apperr.Forbidden(ReasonMissingPermission, fmt.Sprintf("cannot grant %q: you do not hold it", p))
		}
	}
	return nil
}

// UnionPermissions merges the permissions of several roles, sorted and
// deduplicated; this is the perms claim of a token.
func UnionPermissions(roles []Role) []string {
	var out []string
	for _, r := range roles {
		out = append(out, r.Permissions...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
