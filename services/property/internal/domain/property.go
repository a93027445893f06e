package domain

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// Limits of Property fields. Money is integer cents; the cap (one hundred
// billion dollars) keeps sums of many prices far inside int64.
const (
	MaxPriceCents     int64 = 10_000_000_000_000
	MaxRooms                = 1000
	MaxLivingArea     int64 = 100_000_000
	MinYearBuilt            = 1600
	MaxYearBuilt            = 2200
	DefaultStatus           = "Active"
	DefaultCountry          = "US"
	maxRemarks              = 10_000
	maxAddress              = 500
	maxListingKeyChar       = 100
)

// lotSizePattern is a non-negative decimal with at most 9 integer and 4
// fractional digits (PostgreSQL numeric(13,4) holds it exactly).
var lotSizePattern = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,4})?$`)

var countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)

// Property is a real-estate property with RESO Data Dictionary fields.
// ListPriceCents is exact integer cents; LotSizeAcres is an exact decimal
// kept as its string form.
type Property struct {
	ID                    string
	OrgID                 string
	ListingKey            *string
	ListPriceCents        int64
	BedroomsTotal         *int
	BathroomsTotalInteger *int
	LivingArea            *int64
	LotSizeAcres          *string
	YearBuilt             *int
	PropertyType          string
	PropertySubType       *string
	StandardStatus        string
	UnparsedAddress       string
	StreetNumber          *string
	StreetName            *string
	UnitNumber            *string
	City                  string
	StateOrProvince       *string
	PostalCode            *string
	Country               string
	Latitude              *float64
	Longitude             *float64
	PublicRemarks         *string
	CreatedAt             time.Time
	UpdatedAt             time.Time
	ArchivedAt            *time.Time
}

// PropertyFields are the client-editable fields of a Property. On create
// the unset ones take their defaults; on update (PUT, a merge) an unset
// field keeps its value and an explicit null clears an optional one.
type PropertyFields struct {
	ListingKey            Patch[string]  `json:"listing_key"`
	ListPriceCents        Patch[int64]   `json:"list_price_cents"`
	BedroomsTotal         Patch[int]     `json:"bedrooms_total"`
	BathroomsTotalInteger Patch[int]     `json:"bathrooms_total_integer"`
	LivingArea            Patch[int64]   `json:"living_area"`
	LotSizeAcres          Patch[string]  `json:"lot_size_acres"`
	YearBuilt             Patch[int]     `json:"year_built"`
	PropertyType          Patch[string]  `json:"property_type"`
	PropertySubType       Patch[string]  `json:"property_sub_type"`
	StandardStatus        Patch[string]  `json:"standard_status"`
	UnparsedAddress       Patch[string]  `json:"unparsed_address"`
	StreetNumber          Patch[string]  `json:"street_number"`
	StreetName            Patch[string]  `json:"street_name"`
	UnitNumber            Patch[string]  `json:"unit_number"`
	City                  Patch[string]  `json:"city"`
	StateOrProvince       Patch[string]  `json:"state_or_province"`
	PostalCode            Patch[string]  `json:"postal_code"`
	Country               Patch[string]  `json:"country"`
	Latitude              Patch[float64] `json:"latitude"`
	Longitude             Patch[float64] `json:"longitude"`
	PublicRemarks         Patch[string]  `json:"public_remarks"`
}

// NewProperty builds and validates a property from create input. A missing
// unparsed_address is composed from the street parts; a missing
// standard_status is Active and a missing country US.
func NewProperty(id, orgID string, f PropertyFields, now time.Time) (Property, error) {
	p := Property{ID: id, OrgID: orgID, StandardStatus: DefaultStatus, Country: DefaultCountry,
		CreatedAt: now, UpdatedAt: now}
	var errs fieldErrors
	if !f.ListPriceCents.Set {
		errs.add("list_price_cents", "is required")
	}
	if !f.PropertyType.Set {
		errs.add("property_type", "is required")
	}
	p.assign(f, &errs)
	if strings.TrimSpace(p.UnparsedAddress) == "" {
		var parts []string
		for _, s := range []*string{p.StreetNumber, p.StreetName, p.UnitNumber} {
			if s != nil && strings.TrimSpace(*s) != "" {
				parts = append(parts, strings.TrimSpace(*s))
			}
		}
		p.UnparsedAddress = strings.Join(parts, " ")
	}
	p.validate(&errs)
	return p, errs.err()
}

// Update merges f into p, validates the result and returns the changes it
// made (empty when the input changed nothing).
func (p *Property) Update(f PropertyFields, now time.Time) ([]Change, error) {
	before := *p
	next := *p
	var errs fieldErrors
	next.assign(f, &errs)
	next.validate(&errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	changes := DiffProperty(before, next)
	if len(changes) == 0 {
		return nil, nil
	}
	next.UpdatedAt = now
	*p = next
	return changes, nil
}

// Archive hides the property from lists; its status is left as it is.
// It reports false when the property was already archived.
func (p *Property) Archive(now time.Time) ([]Change, bool) {
	if p.ArchivedAt != nil {
		return nil, false
	}
	before := *p
	p.ArchivedAt = &now
	p.UpdatedAt = now
	return DiffProperty(before, *p), true
}

func (p *Property) assign(f PropertyFields, errs *fieldErrors) {
	apply(&p.ListingKey, f.ListingKey)
	applyRequired(&p.ListPriceCents, f.ListPriceCents, "list_price_cents", errs)
	apply(&p.BedroomsTotal, f.BedroomsTotal)
	apply(&p.BathroomsTotalInteger, f.BathroomsTotalInteger)
	apply(&p.LivingArea, f.LivingArea)
	apply(&p.LotSizeAcres, f.LotSizeAcres)
	apply(&p.YearBuilt, f.YearBuilt)
	applyRequired(&p.PropertyType, f.PropertyType, "property_type", errs)
	apply(&p.PropertySubType, f.PropertySubType)
	applyRequired(&p.StandardStatus, f.StandardStatus, "standard_status", errs)
	applyRequired(&p.UnparsedAddress, f.UnparsedAddress, "unparsed_address", errs)
	apply(&p.StreetNumber, f.StreetNumber)
	apply(&p.StreetName, f.StreetName)
	apply(&p.UnitNumber, f.UnitNumber)
	applyRequired(&p.City, f.City, "city", errs)
	apply(&p.StateOrProvince, f.StateOrProvince)
	apply(&p.PostalCode, f.PostalCode)
	applyRequired(&p.Country, f.Country, "country", errs)
	apply(&p.Latitude, f.Latitude)
	apply(&p.Longitude, f.Longitude)
	apply(&p.PublicRemarks, f.PublicRemarks)
}

func (p *Property) validate(errs *fieldErrors) {
	optText(&p.ListingKey, "listing_key", maxListingKeyChar, false, errs)
	if p.ListPriceCents < 0 || p.ListPriceCents > MaxPriceCents {
		if !errs.has("list_price_cents") {
			errs.add("list_price_cents", "must be between 0 and 10000000000000 (integer cents)")
		}
	}
	intRange(p.BedroomsTotal, "bedrooms_total", 0, MaxRooms, errs)
	intRange(p.BathroomsTotalInteger, "bathrooms_total_integer", 0, MaxRooms, errs)
	intRange(p.LivingArea, "living_area", 0, MaxLivingArea, errs)
	intRange(p.YearBuilt, "year_built", MinYearBuilt, MaxYearBuilt, errs)
	if p.LotSizeAcres != nil {
		s := strings.TrimSpace(*p.LotSizeAcres)
		if !lotSizePattern.MatchString(s) {
			errs.add("lot_size_acres", "must be a non-negative decimal string with at most 4 decimals, e.g. \"0.25\"")
		} else {
			s = canonicalDecimal(s)
			p.LotSizeAcres = &s
		}
	}
	if !errs.has("property_type") {
		if p.PropertyType == "" {
			errs.add("property_type", "is required")
		} else if !ValidPropertyType(p.PropertyType) {
			errs.add("property_type", "must be a RESO PropertyType: "+strings.Join(propertyTypes, ", "))
		}
	}
	optText(&p.PropertySubType, "property_sub_type", 100, false, errs)
	if !errs.has("standard_status") && !ValidStandardStatus(p.StandardStatus) {
		errs.add("standard_status", "must be a RESO StandardStatus: "+strings.Join(standardStatuses, ", "))
	}
	optText(&p.StreetNumber, "street_number", 20, false, errs)
	optText(&p.StreetName, "street_name", 200, false, errs)
	optText(&p.UnitNumber, "unit_number", 20, false, errs)
	if !errs.has("unparsed_address") {
		reqText(&p.UnparsedAddress, "unparsed_address", maxAddress, errs)
	}
	if !errs.has("city") {
		reqText(&p.City, "city", 100, errs)
	}
	optText(&p.StateOrProvince, "state_or_province", 50, false, errs)
	optText(&p.PostalCode, "postal_code", 20, false, errs)
	if !errs.has("country") {
		p.Country = strings.ToUpper(strings.TrimSpace(p.Country))
		if !countryPattern.MatchString(p.Country) {
			errs.add("country", "must be an ISO 3166-1 alpha-2 code, e.g. US")
		}
	}
	if p.Latitude != nil && (*p.Latitude < -90 || *p.Latitude > 90) {
		errs.add("latitude", "must be between -90 and 90")
	}
	if p.Longitude != nil && (*p.Longitude < -180 || *p.Longitude > 180) {
		errs.add("longitude", "must be between -180 and 180")
	}
	if (p.Latitude == nil) != (p.Longitude == nil) && !errs.has("latitude") && !errs.has("longitude") {
		field := "longitude"
		if p.Latitude == nil {
			field = "latitude"
		}
		errs.add(field, "latitude and longitude must be given together")
	}
	optText(&p.PublicRemarks, "public_remarks", maxRemarks, true, errs)
}

// canonicalDecimal drops leading zeros of the integer part, as PostgreSQL's
// numeric does, so the value read back equals the value written.
func canonicalDecimal(s string) string {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if hasFrac {
		return intPart + "." + frac
	}
	return intPart
}

// Change is one field's change, recorded in PropertyHistory: old and new
// values as JSON (null for none).
type Change struct {
	Field string
	Old   json.RawMessage
	New   json.RawMessage
}

// historyFields lists the recorded fields and their values, in a fixed order.
func (p Property) historyFields() []struct {
	name string
	v    any
} {
	return []struct {
		name string
		v    any
	}{
		{"listing_key", p.ListingKey}, {"list_price_cents", p.ListPriceCents},
		{"bedrooms_total", p.BedroomsTotal}, {"bathrooms_total_integer", p.BathroomsTotalInteger},
		{"living_area", p.LivingArea}, {"lot_size_acres", p.LotSizeAcres}, {"year_built", p.YearBuilt},
		{"property_type", p.PropertyType}, {"property_sub_type", p.PropertySubType},
		{"standard_status", p.StandardStatus}, {"unparsed_address", p.UnparsedAddress},
		{"street_number", p.StreetNumber}, {"street_name", p.StreetName}, {"unit_number", p.UnitNumber},
		{"city", p.City}, {"state_or_province", p.StateOrProvince}, {"postal_code", p.PostalCode},
		{"country", p.Country}, {"latitude", p.Latitude}, {"longitude", p.Longitude},
		{"public_remarks", p.PublicRemarks}, {"archived_at", p.ArchivedAt},
	}
}

func mustJSON(v any) json.RawMessage {
	if t, ok := v.(*time.Time); ok && t != nil {
		v = t.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null") // unreachable: the fields are plain values
	}
	return b
}

// DiffProperty returns the fields whose values differ between a and b.
// Diffing a zero Property against a new one lists every field it sets,
// which is how a creation is recorded.
func DiffProperty(a, b Property) []Change {
	af, bf := a.historyFields(), b.historyFields()
	var out []Change
	for i := range af {
		o, n := mustJSON(af[i].v), mustJSON(bf[i].v)
		if !bytes.Equal(o, n) {
			out = append(out, Change{Field: af[i].name, Old: o, New: n})
		}
	}
	return out
}

// CreationChanges records a new property: every field with a value, from null.
func CreationChanges(p Property) []Change {
	var out []Change
	for _, f := range p.historyFields() {
		n := mustJSON(f.v)
		if !bytes.Equal(n, []byte("null")) {
			out = append(out, Change{Field: f.name, Old: json.RawMessage("null"), New: n})
		}
	}
	return out
}
