package domain

import "time"

// Organization is a tenant: every other row of identity belongs to one.
type Organization struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewOrganization validates the name and returns a new organisation.
func NewOrganization(id, name string, now time.Time) (Organization, error) {
	var fields fieldList
	name = cleanText(&fields, "organization_name", name, 1, MaxNameLen)
	if err := fields.err(); err != nil {
		return Organization{}, err
	}
	return Organization{ID: id, Name: name, CreatedAt: now, UpdatedAt: now}, nil
}
