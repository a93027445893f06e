package domain

import (
	"slices"
	"time"
)

// Lead statuses. Archiving is not a status: an archived lead keeps its last
// status and gets archived_at.
const (
	StatusNew         = "new"
	StatusContacted   = "contacted"
	StatusQualified   = "qualified"
	StatusNurturing   = "nurturing"
	StatusUnqualified = "unqualified"
	StatusConverted   = "converted"
)

// Statuses lists the lead statuses.
var statuses = []string{StatusNew, StatusContacted, StatusQualified, StatusNurturing, StatusUnqualified, StatusConverted}

// ValidStatus reports whether s is a lead status.
func ValidStatus(s string) bool { return slices.Contains(statuses, s) }

// Statuses returns the lead statuses.
func Statuses() []string { return slices.Clone(statuses) }

// MaxPropertyIDs bounds the properties of interest on one lead.
const MaxPropertyIDs = 50

// Lead is a prospective buyer or seller, linked to one contact.
type Lead struct {
	ID               string
	ContactID        string
	SourceID         *string
	Status           string
	AssigneeID       *string
	BudgetMinCents   *int64
	BudgetMaxCents   *int64
	TargetPriceCents *int64
	// PostalCode is where the lead is looking (or lives), as given, trimmed;
	// postal-code assignment rules match it.
	PostalCode *string
	// PropertyIDs are the properties of interest (property service ids).
	// Each was known and unarchived in crm's property read model when it was
	// added; archiving a property later leaves the leads holding it as they are.
	PropertyIDs    []string
	Score          *int
	LastActivityAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ArchivedAt     *time.Time
}

// ValidateMoney records a negative amount.
func ValidateMoney(field string, v *int64, f *FieldErrors) {
	if v != nil && *v < 0 {
		f.Add(field, "must be zero or more (integer cents)")
	}
}

// ValidateBudget checks the budget range of a lead.
func (l Lead) ValidateBudget(f *FieldErrors) {
	ValidateMoney("budget_min_cents", l.BudgetMinCents, f)
	ValidateMoney("budget_max_cents", l.BudgetMaxCents, f)
	ValidateMoney("target_price_cents", l.TargetPriceCents, f)
	if l.BudgetMinCents != nil && l.BudgetMaxCents != nil && *l.BudgetMinCents > *l.BudgetMaxCents {
		f.Add("budget_max_cents", "must not be below budget_min_cents")
	}
}

// LeadSourceDefaults are the sources every organisation starts with and
// their quality weights (0–100) for scoring: referrals and open-house
// visitors convert best, cold lists worst.
func LeadSourceDefaults() []LeadSource {
	return []LeadSource{
		{Key: "referral", Name: "Referral", Weight: 90},
		{Key: "open_house", Name: "Open house", Weight: 70},
		{Key: "website", Name: "Website", Weight: 60},
		{Key: "portal", Name: "Listing portal", Weight: 50},
		{Key: "social", Name: "Social media", Weight: 40},
		{Key: "other", Name: "Other", Weight: 30},
		{Key: "cold_call", Name: "Cold call", Weight: 20},
	}
}

// LeadSource is where leads come from, with its scoring weight.
type LeadSource struct {
	ID     string
	Key    string
	Name   string
	Weight int
}

// Validate checks a new lead source.
func (s *LeadSource) Validate(f *FieldErrors) {
	checkKeyAndName(s.Key, &s.Name, f)
	if s.Weight < 0 || s.Weight > 100 {
		f.Add("weight", "must be between 0 and 100")
	}
}
