package domain

import "time"

// Team groups users of one organisation (e.g. an office or a desk).
type Team struct {
	ID          string
	OrgID       string
	Name        string
	Description string
	MemberCount int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TeamMember is one user's membership of a team.
type TeamMember struct {
	UserID   string
	Email    string
	FullName string
	AddedAt  time.Time
}

// TeamInput is what a client may set on a team.
type TeamInput struct {
	Name        string
	Description string
}

// NewTeam validates in and returns a team.
func NewTeam(id, orgID string, in TeamInput, now time.Time) (Team, error) {
	t := Team{ID: id, OrgID: orgID, CreatedAt: now}
	if err := t.Update(in, now); err != nil {
		return Team{}, err
	}
	return t, nil
}

// Update replaces the team's name and description.
func (t *Team) Update(in TeamInput, now time.Time) error {
	var fields fieldList
	name := cleanText(&fields, "name", in.Name, 1, MaxNameLen)
	desc := cleanText(&fields, "description", in.Description, 0, MaxDescriptionLen)
	if err := fields.err(); err != nil {
		return err
	}
	t.Name, t.Description, t.UpdatedAt = name, desc, now
	return nil
}
