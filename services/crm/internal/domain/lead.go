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

// statusRule is what a bad status is told.
const statusRule = "must be one of new, contacted, qualified, nurturing, unqualified, converted"

// CheckStatus records in f a status (under field) that is not a lead
// status.
func CheckStatus(field, s string, f *FieldErrors) {
	if !ValidStatus(s) {
		f.Add(field, statusRule)
	}
}

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
	PropertyIDs []string
	// Tags are the lead's labels, normalised (CheckTags): sorted, each once.
	Tags           []string
	Score          *int
	LastActivityAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ArchivedAt     *time.Time
}

// LeadInput is a new lead as a request gives it: its contact, either
// ContactID (an existing contact) or the person's fields in Contact (found
// by email and phone among the existing contacts, else created); its source
// by SourceID or by Source (the source's key); and its own fields.
type LeadInput struct {
	ContactID        *string
	Contact          ContactInput
	SourceID, Source *string
	Status           *string
	AssigneeID       *string
	BudgetMinCents   *int64
	BudgetMaxCents   *int64
	TargetPriceCents *int64
	PostalCode       *string
	PropertyIDs      []string
	Tags             []string
}

// LeadDraft is a new lead checked, with what only the store can resolve:
// its contact (ContactID, else Contact to find or create) and, by key, its
// source (SourceKey; Lead.SourceID when given by id). Lead.ContactID is
// set once the contact is known.
type LeadDraft struct {
	Lead      Lead
	ContactID *string
	Contact   NormalizedContact
	SourceKey *string
}

// NewLead checks in and returns the lead it makes, status new unless
// given: every bad field is named in one error (ids must be UUIDs, the
// properties of interest at most MaxPropertyIDs, the budget a range, and a
// lead needs a contact, named or given, not both). References to other
// rows (the contact, source, assignee, properties) are the caller's to
// check against the store.
func NewLead(id string, in LeadInput, phoneRegion string, now time.Time) (LeadDraft, error) {
	var f FieldErrors
	l := Lead{
		ID: id, Status: StatusNew, CreatedAt: now, UpdatedAt: now,
		BudgetMinCents: in.BudgetMinCents, BudgetMaxCents: in.BudgetMaxCents, TargetPriceCents: in.TargetPriceCents,
	}
	if in.Status != nil {
		l.Status = *in.Status
		CheckStatus("status", l.Status, &f)
	}
	l.AssigneeID = CheckUUID("assignee_id", in.AssigneeID, &f)
	l.PostalCode = CheckPostalCode("postal_code", in.PostalCode, &f)
	l.SourceID = CheckUUID("source_id", in.SourceID, &f)
	if in.SourceID != nil && in.Source != nil {
		f.Add("source", "give source_id or source, not both")
	}
	l.PropertyIDs = checkPropertyIDs(in.PropertyIDs, &f)
	l.Tags = CheckTags("tags", in.Tags, &f)
	l.ValidateBudget(&f)
	d := LeadDraft{SourceKey: in.Source}
	d.ContactID = CheckUUID("contact_id", in.ContactID, &f)
	d.Contact = in.Contact.Normalize(phoneRegion, &f)
	switch {
	case in.ContactID != nil && !d.Contact.Empty():
		f.Add("contact_id", "give contact_id or contact fields (names, email, phone), not both")
	case in.ContactID == nil && d.Contact.Empty():
		f.Add("email", "a lead needs a contact: contact_id, or at least one of first_name, last_name, email, phone")
	}
	d.Lead = l
	return d, f.Err()
}

// LeadUpdate changes the fields of a lead that are Set; a null clears a
// nullable one (a status cannot be cleared).
type LeadUpdate struct {
	Status           Optional[string]
	SourceID         Optional[string]
	AssigneeID       Optional[string]
	BudgetMinCents   Optional[int64]
	BudgetMaxCents   Optional[int64]
	TargetPriceCents Optional[int64]
	PostalCode       Optional[string]
	PropertyIDs      Optional[[]string]
	// Tags replaces the lead's tags (null or [] clears them).
	Tags Optional[[]string]
}

// Check validates what the update says on its own, before any lead is
// looked up: the status, the ids (returned in canonical form), the postal
// code and the properties of interest (deduplicated).
func (u LeadUpdate) Check() (LeadUpdate, error) {
	var f FieldErrors
	if u.Status.Set && (u.Status.Value == nil || !ValidStatus(*u.Status.Value)) {
		f.Add("status", statusRule)
	}
	u.SourceID.Value = CheckUUID("source_id", u.SourceID.Value, &f)
	u.AssigneeID.Value = CheckUUID("assignee_id", u.AssigneeID.Value, &f)
	u.PostalCode.Value = CheckPostalCode("postal_code", u.PostalCode.Value, &f)
	if u.PropertyIDs.Value != nil {
		ids := checkPropertyIDs(*u.PropertyIDs.Value, &f)
		u.PropertyIDs.Value = &ids
	}
	if u.Tags.Set {
		var raw []string
		if u.Tags.Value != nil {
			raw = *u.Tags.Value
		}
		tags := CheckTags("tags", raw, &f)
		u.Tags.Value = &tags
	}
	return u, f.Err()
}

// LeadChange is what Apply changed of a lead: what the caller must still
// check against the store and the records the change leaves.
type LeadChange struct {
	// Changed is false when the update changes nothing (then there is
	// nothing to write and nothing to announce).
	Changed bool
	// StatusFrom is the status before, when the status changed.
	StatusFrom *string
	// Reassigned reports a new assignee (nil: unassigned), AssigneeFrom
	// the one before.
	Reassigned   bool
	AssigneeFrom *string
	// AddedProperties are the properties of interest the lead did not hold
	// before. Only they need checking: a property archived after it was
	// put on the lead stays on it (and may be sent back unchanged), but
	// cannot be added again once removed.
	AddedProperties []string
}

// Apply checks u (as Check does), merges it into the lead and validates
// the result (the budget, old and new values together); a change stamps
// UpdatedAt with now. On an error the lead is left as it was.
func (l *Lead) Apply(u LeadUpdate, now time.Time) (LeadChange, error) {
	u, err := u.Check()
	if err != nil {
		return LeadChange{}, err
	}
	next := *l
	set(&next.SourceID, u.SourceID)
	set(&next.AssigneeID, u.AssigneeID)
	set(&next.PostalCode, u.PostalCode)
	set(&next.BudgetMinCents, u.BudgetMinCents)
	set(&next.BudgetMaxCents, u.BudgetMaxCents)
	set(&next.TargetPriceCents, u.TargetPriceCents)
	if u.Status.Set {
		next.Status = *u.Status.Value
	}
	if u.PropertyIDs.Set {
		next.PropertyIDs = []string{}
		if u.PropertyIDs.Value != nil {
			next.PropertyIDs = *u.PropertyIDs.Value
		}
	}
	if u.Tags.Set {
		next.Tags = *u.Tags.Value // Check made it a set, never nil
	}
	var f FieldErrors
	next.ValidateBudget(&f)
	if err := f.Err(); err != nil {
		return LeadChange{}, err
	}
	if sameLead(*l, next) {
		return LeadChange{}, nil
	}
	ch := LeadChange{Changed: true}
	if next.Status != l.Status {
		from := l.Status
		ch.StatusFrom = &from
	}
	if !EqualPtr(l.AssigneeID, next.AssigneeID) {
		ch.Reassigned, ch.AssigneeFrom = true, l.AssigneeID
	}
	for _, id := range next.PropertyIDs {
		if !slices.Contains(l.PropertyIDs, id) {
			ch.AddedProperties = append(ch.AddedProperties, id)
		}
	}
	next.UpdatedAt = now
	*l = next
	return ch, nil
}

// set applies an optional field of an update to a nullable field.
func set[T any](dst **T, o Optional[T]) {
	if o.Set {
		*dst = o.Value
	}
}

// sameLead reports whether a and b agree on every field an update may
// change.
func sameLead(a, b Lead) bool {
	return a.Status == b.Status && EqualPtr(a.SourceID, b.SourceID) && EqualPtr(a.AssigneeID, b.AssigneeID) &&
		EqualPtr(a.PostalCode, b.PostalCode) && EqualPtr(a.BudgetMinCents, b.BudgetMinCents) &&
		EqualPtr(a.BudgetMaxCents, b.BudgetMaxCents) && EqualPtr(a.TargetPriceCents, b.TargetPriceCents) &&
		slices.Equal(a.PropertyIDs, b.PropertyIDs) && slices.Equal(a.Tags, b.Tags)
}

// checkPropertyIDs checks the form of the properties of interest (UUIDs, at
// most MaxPropertyIDs) and deduplicates them.
func checkPropertyIDs(ids []string, f *FieldErrors) []string {
	if len(ids) > MaxPropertyIDs {
		f.Add("property_ids", "must list at most 50 properties")
		return []string{}
	}
	return CheckUUIDs("property_ids", ids, f)
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
