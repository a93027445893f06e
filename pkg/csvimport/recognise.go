package csvimport

import (
	"fmt"
	"strings"
	"unicode"
)

// The recognition table: which file columns mean which importer field,
// and which spellings of a lookup value mean which value. It is data, not
// code — recognising one more export format is a line in a Known entry —
// and every column the reader maps says why (ColumnMapping.Why).
//
// A header is compared by its key (HeaderKey): lower case, letters and
// digits only, with "#" read as "num", "$" as "usd" and "%" as "pct", so
// "MLS #", "mls#" and "MLS Num" are one key, and "$/SQUARE FEET" is not
// "SQUARE FEET".

// Why a column maps to a field, best first: when two columns could feed
// one field the better reason wins and the other column is ignored (two
// columns with the same explicit or field-name reason refuse the file).
const (
	WhyMapping = "mapping"    // the mapping the request gave
	WhyField   = "field name" // the field's own name, normalised
	WhyRESO    = "RESO name"  // the RESO Data Dictionary field name
	WhySynonym = "synonym"    // a common name for the field
	WhyFormat  = "format"     // a column of a known export (Why names it)
)

// ColumnMapping is how one column of a file was mapped, for the report
// and the dry run.
type ColumnMapping struct {
	Column string `json:"column"`
	Field  string `json:"field"`
	// Why is one of the Why constants, followed for a RESO name, a
	// synonym or a format by what matched ("format: Redfin CSV").
	Why string `json:"why"`
}

// Known is what the table knows of one importer field.
type Known struct {
	Field string
	// RESO is the RESO Data Dictionary name of the field, when it has one.
	RESO     string
	Synonyms []string
	// Formats are the export formats' column names for the field
	// ("Redfin CSV": {"ZIP OR POSTAL CODE"}).
	Formats map[string][]string
	// Values are the lookup's values and how people spell them; a cell is
	// matched by its key (LookupKey), and a value's own spelling always
	// matches. Empty: the field is no lookup.
	Values []Value
}

// Value is a lookup value and its other spellings.
type Value struct {
	Value     string
	Spellings []string
}

// Recognition is a compiled table.
type Recognition struct {
	headers map[string]match
	lookups map[string]map[string]string // field → value key → value
}

type match struct {
	field string
	rank  int
	why   string
}

// Ranks of the Why constants.
const (
	rankMapping = iota
	rankField
	rankRESO
	rankSynonym
	rankFormat
	rankNone
)

// Recognise compiles a table. A key that two fields claim, or two values
// of one lookup, is a mistake in the table: Recognise panics (the tables
// are package variables, so the tests catch it).
func Recognise(table ...Known) *Recognition {
	r := &Recognition{headers: map[string]match{}, lookups: map[string]map[string]string{}}
	add := func(name string, m match) {
		k := HeaderKey(name)
		if old, ok := r.headers[k]; ok && old.field != m.field {
			panic(fmt.Sprintf("csvimport: header %q is claimed by %s and %s", name, old.field, m.field))
		} else if ok && old.rank <= m.rank {
			return
		}
		r.headers[k] = m
	}
	for _, k := range table {
		if k.RESO != "" {
			add(k.RESO, match{k.Field, rankRESO, WhyRESO + " " + k.RESO})
		}
		for _, s := range k.Synonyms {
			add(s, match{k.Field, rankSynonym, WhySynonym + " " + fmt.Sprintf("%q", s)})
		}
		for format, cols := range k.Formats {
			for _, c := range cols {
				add(c, match{k.Field, rankFormat, WhyFormat + ": " + format})
			}
		}
		if len(k.Values) > 0 {
			vals := map[string]string{}
			for _, v := range k.Values {
				for _, s := range append([]string{v.Value}, v.Spellings...) {
					key := LookupKey(s)
					if old, ok := vals[key]; ok && old != v.Value {
						panic(fmt.Sprintf("csvimport: %s spelling %q means %s and %s", k.Field, s, old, v.Value))
					}
					vals[key] = v.Value
				}
			}
			r.lookups[k.Field] = vals
		}
	}
	// The field's own name in another spelling ("ListPriceCents"), where
	// nothing else claims its key.
	for _, k := range table {
		if _, ok := r.headers[HeaderKey(k.Field)]; !ok {
			r.headers[HeaderKey(k.Field)] = match{k.Field, rankField, WhyField}
		}
	}
	return r
}

// header is what the table makes of a file's header h (rankNone: nothing).
func (r *Recognition) header(h string) match {
	if r == nil {
		return match{rank: rankNone}
	}
	if m, ok := r.headers[HeaderKey(h)]; ok {
		return m
	}
	return match{rank: rankNone}
}

// Field returns the field a header means and why ("" when none).
func (r *Recognition) Field(h string) (field, why string) {
	m := r.header(h)
	return m.field, m.why
}

// Lookup returns the lookup value a cell of field means: its own spelling
// or a known one, compared by LookupKey. false: nothing maps (the caller
// reports the row with the original).
func (r *Recognition) Lookup(field, cell string) (string, bool) {
	v, ok := r.lookups[field][LookupKey(cell)]
	return v, ok
}

// HeaderKey is a header as the table compares it: lower case letters and
// digits, "#" as "num", "$" as "usd", "%" as "pct", everything else dropped.
func HeaderKey(h string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(h) {
		switch {
		case c == '#':
			b.WriteString("num")
		case c == '$':
			b.WriteString("usd")
		case c == '%':
			b.WriteString("pct")
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			b.WriteRune(c)
		}
	}
	return b.String()
}

// LookupKey is a lookup cell as values are compared: lower case letters and
// digits only ("Single-Family", "single family" and "SingleFamily" are one).
func LookupKey(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if unicode.IsLetter(c) || unicode.IsDigit(c) || c == '+' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Export formats the tables name.
const (
	FormatRedfin = "Redfin CSV"
	FormatZillow = "Zillow-style"
	FormatCRM    = "CRM export" // Follow Up Boss, kvCORE, HubSpot, Salesforce-style contact exports
	FormatPortal = "portal lead export"
)

// PropertyColumns is the table of property imports (property's fields are
// RESO's; list_price is dollars, list_price_cents cents).
var PropertyColumns = Recognise(
	Known{Field: "listing_key", RESO: "ListingKey", Synonyms: []string{"ListingId", "Listing ID", "MLS #", "MLS Number", "MLS No", "MLS ID", "MLS"},
		Formats: map[string][]string{FormatRedfin: {"MLS#"}, FormatZillow: {"Zpid"}}},
	Known{Field: "list_price_cents", Synonyms: []string{"Price Cents"}},
	Known{Field: "list_price", RESO: "ListPrice", Synonyms: []string{"Price", "Asking Price", "Sale Price", "Listing Price"},
		Formats: map[string][]string{FormatRedfin: {"PRICE"}, FormatZillow: {"Price", "Unformatted Price"}}},
	Known{Field: "bedrooms_total", RESO: "BedroomsTotal", Synonyms: []string{"Beds", "Bedrooms", "Bed", "BR", "Bdrms"},
		Formats: map[string][]string{FormatRedfin: {"BEDS"}}},
	Known{Field: "bathrooms_total_integer", RESO: "BathroomsTotalInteger", Synonyms: []string{"Baths", "Bathrooms", "Bath", "BA", "Bathrooms Total"},
		Formats: map[string][]string{FormatRedfin: {"BATHS"}}},
	Known{Field: "living_area", RESO: "LivingArea", Synonyms: []string{"SqFt", "Sq Ft", "Square Feet", "Square Footage", "Living Area SqFt", "Size"},
		Formats: map[string][]string{FormatRedfin: {"SQUARE FEET"}, FormatZillow: {"Living Area"}}},
	Known{Field: "lot_size_acres", RESO: "LotSizeAcres", Synonyms: []string{"Acres", "Lot Acres", "Lot Size (Acres)"}},
	Known{Field: "year_built", RESO: "YearBuilt", Synonyms: []string{"Year", "Built", "Yr Built"},
		Formats: map[string][]string{FormatRedfin: {"YEAR BUILT"}}},
	Known{Field: "property_type", RESO: "PropertyType", Synonyms: []string{"Type", "Property Type", "Home Type", "Prop Type"},
		Formats: map[string][]string{FormatRedfin: {"PROPERTY TYPE"}, FormatZillow: {"homeType"}},
		Values: []Value{
			{"Residential", []string{"Single Family", "Single Family Residential", "Single Family Residence", "SFR", "House", "Home",
				"Condo", "Condo/Co-op", "Condominium", "Co-op", "Townhouse", "Townhome", "Town House", "Apartment"}},
			{"ResidentialIncome", []string{"Multi-Family", "Multi-Family (2-4 Unit)", "Multi-Family (5+ Unit)", "Multifamily", "Duplex", "Triplex", "Fourplex", "Residential Income"}},
			{"ResidentialLease", []string{"Rental", "For Rent", "Residential Lease", "Lease"}},
			{"Land", []string{"Vacant Land", "Lot", "Lots/Land", "Lot/Land"}},
			{"Farm", []string{"Ranch", "Farm/Ranch", "Agricultural"}},
			{"CommercialSale", []string{"Commercial", "Commercial Sale", "Office", "Retail", "Industrial"}},
			{"CommercialLease", []string{"Commercial Lease", "Commercial Rental"}},
			{"BusinessOpportunity", []string{"Business", "Business Opportunity"}},
			{"ManufacturedInPark", []string{"Mobile", "Mobile Home", "Mobile/Manufactured Home", "Manufactured", "Manufactured Home", "Manufactured In Park"}},
		}},
	Known{Field: "property_sub_type", RESO: "PropertySubType", Synonyms: []string{"Sub Type", "Subtype", "Style"}},
	Known{Field: "standard_status", RESO: "StandardStatus", Synonyms: []string{"Status", "Listing Status", "Mls Status"},
		Formats: map[string][]string{FormatRedfin: {"STATUS"}, FormatZillow: {"homeStatus"}},
		Values: []Value{
			{"Active", []string{"For Sale", "Listed", "New", "Available", "Open"}},
			{"Active Under Contract", []string{"Under Contract", "Contingent", "Backup", "Accepting Backups"}},
			{"Canceled", []string{"Cancelled"}},
			{"Closed", []string{"Sold", "Recently Sold"}},
			{"Coming Soon", []string{"Pre-Market", "Pre Market"}},
			{"Delete", nil},
			{"Expired", nil},
			{"Hold", []string{"On Hold", "Temp Off Market", "Temporarily Off Market"}},
			{"Incomplete", nil},
			{"Pending", []string{"Sale Pending", "Under Agreement"}},
			{"Withdrawn", []string{"Off Market", "Off-Market"}},
		}},
	Known{Field: "unparsed_address", RESO: "UnparsedAddress", Synonyms: []string{"Address", "Street Address", "Full Address", "Property Address", "Address 1", "Address Line 1", "Street"},
		Formats: map[string][]string{FormatRedfin: {"ADDRESS"}, FormatZillow: {"streetAddress"}}},
	Known{Field: "street_number", RESO: "StreetNumber", Synonyms: []string{"House Number", "Street No", "Street #"}},
	Known{Field: "street_name", RESO: "StreetName"},
	Known{Field: "unit_number", RESO: "UnitNumber", Synonyms: []string{"Unit", "Apt", "Apartment Number", "Suite", "Unit #"}},
	Known{Field: "city", RESO: "City", Synonyms: []string{"Town", "Municipality"}, Formats: map[string][]string{FormatRedfin: {"CITY"}}},
	Known{Field: "state_or_province", RESO: "StateOrProvince", Synonyms: []string{"State", "Province", "ST", "State/Province"},
		Formats: map[string][]string{FormatRedfin: {"STATE OR PROVINCE"}}},
	Known{Field: "postal_code", RESO: "PostalCode", Synonyms: []string{"Zip", "Zip Code", "Zipcode", "Postal", "Post Code", "Postcode", "ZIP+4"},
		Formats: map[string][]string{FormatRedfin: {"ZIP OR POSTAL CODE"}}},
	Known{Field: "country", RESO: "Country"},
	Known{Field: "latitude", RESO: "Latitude", Synonyms: []string{"Lat"}, Formats: map[string][]string{FormatRedfin: {"LATITUDE"}}},
	Known{Field: "longitude", RESO: "Longitude", Synonyms: []string{"Lng", "Lon", "Long"}, Formats: map[string][]string{FormatRedfin: {"LONGITUDE"}}},
	Known{Field: "public_remarks", RESO: "PublicRemarks", Synonyms: []string{"Remarks", "Description", "Listing Description"},
		Formats: map[string][]string{FormatZillow: {"description"}}},
)

// LeadColumns is the table of lead imports (crm's fields).
var LeadColumns = Recognise(
	Known{Field: "first_name", Synonyms: []string{"First", "Firstname", "Given Name", "Forename", "First Name (Contact)"},
		Formats: map[string][]string{FormatCRM: {"Contact First Name", "Lead First Name"}}},
	Known{Field: "last_name", Synonyms: []string{"Last", "Lastname", "Surname", "Family Name"},
		Formats: map[string][]string{FormatCRM: {"Contact Last Name", "Lead Last Name"}}},
	Known{Field: "full_name", Synonyms: []string{"Name", "Full Name", "Contact Name", "Lead Name", "Client Name", "Client"},
		Formats: map[string][]string{FormatPortal: {"Buyer Name", "Sender Name"}}},
	Known{Field: "email", Synonyms: []string{"E-mail", "Email Address", "E-mail Address", "Primary Email", "Email 1", "Emails"},
		Formats: map[string][]string{FormatCRM: {"Contact Email", "Email (Personal)"}, FormatPortal: {"Buyer Email", "Sender Email"}}},
	Known{Field: "phone", Synonyms: []string{"Phone Number", "Mobile", "Mobile Phone", "Cell", "Cell Phone", "Telephone", "Tel", "Primary Phone", "Phone 1", "Phones"},
		Formats: map[string][]string{FormatCRM: {"Contact Phone", "Mobile Phone Number"}, FormatPortal: {"Buyer Phone", "Sender Phone"}}},
	Known{Field: "phone_region", Synonyms: []string{"Phone Country", "Country Code"}},
	Known{Field: "source", Synonyms: []string{"Lead Source", "Source Name", "Origin", "Channel", "Lead Origin"}},
	Known{Field: "status", Synonyms: []string{"Stage", "Lead Status", "Lead Stage", "Pipeline Stage"}},
	Known{Field: "tags", Synonyms: []string{"Tag", "Labels", "Label", "Groups", "Lists"}},
	Known{Field: "notes", Synonyms: []string{"Note", "Comments", "Comment", "Message", "Description", "Background"},
		Formats: map[string][]string{FormatPortal: {"Buyer Message", "Lead Message", "Inquiry"}}},
	Known{Field: "assigned_agent", Synonyms: []string{"Agent", "Assigned To", "Assignee", "Owner", "Lead Owner", "Assigned Agent Email", "Agent Email", "Realtor"},
		Formats: map[string][]string{FormatCRM: {"Contact Owner", "Assigned User"}}},
	Known{Field: "address", Synonyms: []string{"Street Address", "Mailing Address", "Home Address", "Address 1", "Property Address"}},
	Known{Field: "postal_code", Synonyms: []string{"Zip", "Zip Code", "Zipcode", "Postal", "Post Code", "Postcode"}},
	Known{Field: "budget_min_cents", Synonyms: []string{"Min Budget Cents"}},
	Known{Field: "budget_max_cents", Synonyms: []string{"Max Budget Cents"}},
	Known{Field: "budget_min", Synonyms: []string{"Min Budget", "Min Price", "Price Min", "Minimum Price", "Budget From"}},
	Known{Field: "budget_max", Synonyms: []string{"Max Budget", "Max Price", "Price Max", "Maximum Price", "Budget", "Budget To"}},
	Known{Field: "target_price_cents"},
	Known{Field: "target_price", Synonyms: []string{"Target Price", "Price Range", "Desired Price"}},
)
