package domain

import (
	"regexp"
	"slices"
	"strconv"
)

// LeadFilter is a saved audience: the organisation's active (not
// archived) leads that match every criterion given; an empty criterion
// does not filter. Stages and sources match any of the values; tags match
// leads holding all of them; the score range is inclusive. It is evaluated
// against the audience read model when the campaign is launched, and the
// matches frozen into its targets.
type LeadFilter struct {
	// Stages: crm lead statuses ("new", "qualified" …).
	Stages []string `json:"stages,omitempty"`
	// Sources: lead source keys ("referral").
	Sources  []string `json:"sources,omitempty"`
	ScoreMin *int     `json:"score_min,omitempty"`
	ScoreMax *int     `json:"score_max,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// AssigneeIDs: the leads of these users.
	AssigneeIDs []string `json:"assignee_ids,omitempty"`
}

// MaxFilterValues bounds each list of a filter.
const MaxFilterValues = 50

// slug is crm's form of lead statuses, source keys and tags (lower case).
var slug = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,49}$`)

// Validate checks the filter's values, naming each bad one under field
// ("filter.stages[0]"), and returns it with its lists deduplicated.
func (lf LeadFilter) Validate(field string) (LeadFilter, error) {
	var f FieldErrors
	check := func(name string, vals []string, ok func(string) bool, msg string) []string {
		if len(vals) > MaxFilterValues {
			f.Add(field+"."+name, "must hold at most "+strconv.Itoa(MaxFilterValues)+" values")
			return nil
		}
		for i, v := range vals {
			if !ok(v) {
				f.Add(field+"."+name+"["+strconv.Itoa(i)+"]", msg)
			}
		}
		out := slices.Clone(vals)
		slices.Sort(out)
		return slices.Compact(out)
	}
	isSlug := func(s string) bool { return slug.MatchString(s) }
	const slugMsg = "must be lower case letters, digits, _ or - (at most 50)"
	out := LeadFilter{
		Stages:      check("stages", lf.Stages, isSlug, slugMsg),
		Sources:     check("sources", lf.Sources, isSlug, slugMsg),
		Tags:        check("tags", lf.Tags, isSlug, slugMsg),
		AssigneeIDs: check("assignee_ids", lf.AssigneeIDs, ValidID, "must be a user id (UUID)"),
		ScoreMin:    lf.ScoreMin, ScoreMax: lf.ScoreMax,
	}
	for name, v := range map[string]*int{"score_min": lf.ScoreMin, "score_max": lf.ScoreMax} {
		if v != nil && (*v < 0 || *v > 100) {
			f.Add(field+"."+name, "must be from 0 to 100")
		}
	}
	if lf.ScoreMin != nil && lf.ScoreMax != nil && *lf.ScoreMin > *lf.ScoreMax {
		f.Add(field+".score_max", "must not be below score_min")
	}
	return out, f.Err()
}

// AudienceLead is a lead of the audience read model with its contact's
// details (empty when crm has not announced the contact yet).
type AudienceLead struct {
	LeadID     string
	ContactID  string
	Status     string
	SourceKey  *string
	AssigneeID *string
	Score      *int
	Tags       []string
	PostalCode *string
	Archived   bool
	Contact    AudienceContact
}

// AudienceContact is a contact of the audience read model.
type AudienceContact struct {
	ContactID  string
	FirstName  string
	LastName   string
	Email      *string
	Phone      *string
	TimeZone   *string
	PostalCode *string
	Deleted    bool
}
