package domain

import (
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/datetime"
)

// The years a listing's dates may fall in.
const (
	minListingYear = 1900
	maxListingYear = 2200
)

// Listing is one marketing period of a property: its asking price, RESO
// status, dates and agent. Every create and change bumps Version and is
// snapshotted whole into ListingSnapshot.
type Listing struct {
	ID                  string
	OrgID               string
	PropertyID          string
	ListPriceCents      int64
	StandardStatus      string
	ListingContractDate *string
	ExpirationDate      *string
	AgentUserID         *string
	Remarks             *string
	Version             int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// ListingFields are the client-editable fields of a Listing (property_id is
// set at creation only). PUT merges them like PropertyFields.
type ListingFields struct {
	ListPriceCents      Patch[int64]  `json:"list_price_cents"`
	StandardStatus      Patch[string] `json:"standard_status"`
	ListingContractDate Patch[string] `json:"listing_contract_date"`
	ExpirationDate      Patch[string] `json:"expiration_date"`
	AgentUserID         Patch[string] `json:"agent_user_id"`
	Remarks             Patch[string] `json:"remarks"`
}

// NewListing builds and validates a listing. The agent defaults to the
// creating user; the status defaults to Active.
func NewListing(id, orgID, propertyID, actorID string, f ListingFields, now time.Time) (Listing, error) {
	l := Listing{ID: id, OrgID: orgID, PropertyID: propertyID, StandardStatus: DefaultStatus,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	if actorID != "" {
		l.AgentUserID = &actorID
	}
	var errs fieldErrors
	if _, err := uuid.Parse(propertyID); err != nil {
		errs.add("property_id", "must be a UUID")
	}
	if !f.ListPriceCents.Set {
		errs.add("list_price_cents", "is required")
	}
	l.assign(f, &errs)
	l.validate(&errs)
	return l, errs.err()
}

// ListingChange says what an update changed, for the events it emits.
type ListingChange struct {
	Fields        []string
	OldPrice      int64
	OldStatus     string
	PriceChanged  bool
	StatusChanged bool
}

// Update merges f into l; it returns changed=false when nothing changed
// (no new version, no snapshot, no event).
func (l *Listing) Update(f ListingFields, now time.Time) (ListingChange, error) {
	next := *l
	var errs fieldErrors
	next.assign(f, &errs)
	next.validate(&errs)
	if err := errs.err(); err != nil {
		return ListingChange{}, err
	}
	ch := ListingChange{OldPrice: l.ListPriceCents, OldStatus: l.StandardStatus}
	eq := func(a, b *string) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
	if next.ListPriceCents != l.ListPriceCents {
		ch.Fields, ch.PriceChanged = append(ch.Fields, "list_price_cents"), true
	}
	if next.StandardStatus != l.StandardStatus {
		ch.Fields, ch.StatusChanged = append(ch.Fields, "standard_status"), true
	}
	for _, c := range []struct {
		name string
		a, b *string
	}{
		{"listing_contract_date", l.ListingContractDate, next.ListingContractDate},
		{"expiration_date", l.ExpirationDate, next.ExpirationDate},
		{"agent_user_id", l.AgentUserID, next.AgentUserID},
		{"remarks", l.Remarks, next.Remarks},
	} {
		if !eq(c.a, c.b) {
			ch.Fields = append(ch.Fields, c.name)
		}
	}
	if len(ch.Fields) == 0 {
		return ch, nil
	}
	next.Version++
	next.UpdatedAt = now
	*l = next
	return ch, nil
}

func (l *Listing) assign(f ListingFields, errs *fieldErrors) {
	applyRequired(&l.ListPriceCents, f.ListPriceCents, "list_price_cents", errs)
	applyRequired(&l.StandardStatus, f.StandardStatus, "standard_status", errs)
	apply(&l.ListingContractDate, f.ListingContractDate)
	apply(&l.ExpirationDate, f.ExpirationDate)
	apply(&l.AgentUserID, f.AgentUserID)
	apply(&l.Remarks, f.Remarks)
}

func (l *Listing) validate(errs *fieldErrors) {
	if !errs.has("list_price_cents") && (l.ListPriceCents < 0 || l.ListPriceCents > MaxPriceCents) {
		errs.add("list_price_cents", "must be between 0 and 10000000000000 (integer cents)")
	}
	if !errs.has("standard_status") && !ValidStandardStatus(l.StandardStatus) {
		errs.add("standard_status", "must be a RESO StandardStatus")
	}
	var start, end time.Time
	for _, d := range []struct {
		name string
		v    *string
		out  *time.Time
	}{{"listing_contract_date", l.ListingContractDate, &start}, {"expiration_date", l.ExpirationDate, &end}} {
		if d.v == nil {
			continue
		}
		// pkg/datetime checks the form and what PostgreSQL stores; a
		// listing's dates are narrower still.
		t, err := datetime.ParseDate(*d.v)
		if err != nil || t.Year() < minListingYear || t.Year() > maxListingYear {
			errs.add(d.name, "must be a date YYYY-MM-DD between 1900 and 2200")
			continue
		}
		*d.out = t
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		errs.add("expiration_date", "must not be before listing_contract_date")
	}
	if l.AgentUserID != nil {
		if id, err := uuid.Parse(*l.AgentUserID); err != nil {
			errs.add("agent_user_id", "must be a UUID")
		} else {
			s := id.String()
			l.AgentUserID = &s
		}
	}
	optText(&l.Remarks, "remarks", maxRemarks, true, errs)
}
