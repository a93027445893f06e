package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/csvimport"
)

// Import statuses (csvimport's). An import small enough to run inside its
// request ends there; a larger one is queued for a job, running while the
// job works it, and completed or failed when the job ends.
const (
	ImportQueued    = csvimport.StatusQueued
	ImportRunning   = csvimport.StatusRunning
	ImportCompleted = csvimport.StatusCompleted
	ImportFailed    = csvimport.StatusFailed
)

// ReasonImportNotFound is the problem reason of a missing import.
const ReasonImportNotFound = "import_not_found"

// ErrImportNotFound answers for an import that does not exist or belongs to
// another organisation.
func ErrImportNotFound() error { return apperr.NotFound(ReasonImportNotFound, "no such import") }

// Import is one bulk import of properties from a CSV file kept in the file
// store. Its lifecycle (status, report, checkpoint, job, failure, the
// file's retention) is csvimport.State, which pkg/csvimport's runner
// moves on; the rest is property's.
type Import struct {
	csvimport.State
	FileName   string
	FileSHA256 string
	CreatedBy  *string
	CreatedAt  time.Time
}

// NewImport is a queued import of the file stored under ImportKey(orgID, id).
func NewImport(id, orgID string, file ImportFile, mapping map[string]string, createdBy *string, now time.Time) Import {
	return Import{
		State: csvimport.State{ID: id, OrgID: orgID, Status: ImportQueued, FileKey: ImportKey(orgID, id), FileSize: file.Size,
			Mapping: mapping, UpdatedAt: now, Report: csvimport.NewReport()},
		FileName: file.Name, FileSHA256: file.SHA256, CreatedBy: createdBy, CreatedAt: now,
	}
}

// ImportFile is the stored file an import reads.
type ImportFile struct {
	Name   string
	Size   int64
	SHA256 string
}

// ImportKey is where an import's file is stored, under its organisation.
func ImportKey(orgID, importID string) string { return orgID + "/imports/" + importID + ".csv" }

// FieldMapping is the form field (and query parameter) of an import's
// header mapping.
const FieldMapping = "mapping"

// Columns of an import file, in the order csvimport.Row.Values holds them.
// The names are the API's field names; list_price is the one addition, a
// price in currency units for files that do not carry cents.
const (
	colListingKey = iota
	colListPriceCents
	colListPrice
	colBedroomsTotal
	colBathroomsTotalInteger
	colLivingArea
	colLotSizeAcres
	colYearBuilt
	colPropertyType
	colPropertySubType
	colStandardStatus
	colUnparsedAddress
	colStreetNumber
	colStreetName
	colUnitNumber
	colCity
	colStateOrProvince
	colPostalCode
	colCountry
	colLatitude
	colLongitude
	colPublicRemarks
	importColumns
)

// importFields: property_type and city are required by every property.
// listing_key is what makes an import safe to run again (a re-run, or a
// retried job, skips the keys it finds); a file without one (most people
// have no MLS number for a property they track) gets a key derived from
// the normalised address (AddressKey), so it dedupes the same way. The price and
// the address may each come from one of two columns (CheckImportHeader).
var importFields = [importColumns]csvimport.Field{
	colListingKey:            {Name: "listing_key"},
	colListPriceCents:        {Name: "list_price_cents"},
	colListPrice:             {Name: "list_price"},
	colBedroomsTotal:         {Name: "bedrooms_total"},
	colBathroomsTotalInteger: {Name: "bathrooms_total_integer"},
	colLivingArea:            {Name: "living_area"},
	colLotSizeAcres:          {Name: "lot_size_acres"},
	colYearBuilt:             {Name: "year_built"},
	colPropertyType:          {Name: "property_type", Required: true},
	colPropertySubType:       {Name: "property_sub_type"},
	colStandardStatus:        {Name: "standard_status"},
	colUnparsedAddress:       {Name: "unparsed_address"},
	colStreetNumber:          {Name: "street_number"},
	colStreetName:            {Name: "street_name"},
	colUnitNumber:            {Name: "unit_number"},
	colCity:                  {Name: "city", Required: true},
	colStateOrProvince:       {Name: "state_or_province"},
	colPostalCode:            {Name: "postal_code"},
	colCountry:               {Name: "country"},
	colLatitude:              {Name: "latitude"},
	colLongitude:             {Name: "longitude"},
	colPublicRemarks:         {Name: "public_remarks"},
}

// ImportColumns is the recognition table of property files (RESO names,
// synonyms, Redfin and Zillow-style exports, lookup spellings).
var ImportColumns = csvimport.PropertyColumns

// ImportFields are the fields an import file's columns map to.
func ImportFields() []csvimport.Field { return importFields[:] }

// ImportListingKeyColumn is the index of listing_key in ImportFields, the
// column a duplicate is reported on.
const ImportListingKeyColumn = colListingKey

// CheckImportHeader refuses a file that could load no row: one without a
// price column or without an address column. has reports whether the
// file has a column for the field at an index of ImportFields.
func CheckImportHeader(has func(int) bool) error {
	var errs apperr.Fields
	if !has(colListPriceCents) && !has(colListPrice) {
		errs.Add("list_price_cents", "is required: the file has no column for list_price_cents or list_price (name a column after one, or map one to it)")
	}
	if !has(colUnparsedAddress) && !has(colStreetName) {
		errs.Add("unparsed_address", "is required: the file has no column for unparsed_address or street_name (name a column after one, or map one to it)")
	}
	return errs.Err()
}

// ImportError is one bad value of a record: the index in ImportFields of
// its field (which names the file's column) and why it is refused.
type ImportError struct {
	Field  int
	Reason string
}

// NewImportedProperty turns one record's values (in ImportFields order,
// trimmed; "" for an empty cell) into a property with the rules of
// NewProperty: an empty cell is an absent field, so defaults apply and a
// missing required field is refused as it is on create. It returns every
// bad value of the record, or none and the property.
func NewImportedProperty(id, orgID string, values []string, now time.Time) (Property, []ImportError) {
	var f PropertyFields
	var errs []ImportError
	bad := func(col int, reason string) { errs = append(errs, ImportError{Field: col, Reason: reason}) }

	if values[colListingKey] != "" {
		f.ListingKey = Of(values[colListingKey])
	}
	priceCol := colListPriceCents
	switch {
	case values[colListPriceCents] != "" && values[colListPrice] != "":
		priceCol = colListPrice
		bad(colListPrice, "give list_price or list_price_cents, not both")
	case values[colListPriceCents] != "":
		if n, err := strconv.ParseInt(values[colListPriceCents], 10, 64); err != nil {
			bad(colListPriceCents, "must be a whole number of cents, e.g. 45000000")
		} else {
			f.ListPriceCents = Of(n)
		}
	case values[colListPrice] != "":
		priceCol = colListPrice
		if n, err := csvimport.ParseMoney(values[colListPrice]); err != nil {
			bad(colListPrice, err.Error())
		} else {
			f.ListPriceCents = Of(n)
		}
	}
	setInt(&f.BedroomsTotal, values[colBedroomsTotal], colBedroomsTotal, bad)
	setBaths(&f.BathroomsTotalInteger, values[colBathroomsTotalInteger], bad)
	setInt(&f.LivingArea, values[colLivingArea], colLivingArea, bad)
	setInt(&f.YearBuilt, values[colYearBuilt], colYearBuilt, bad)
	setFloat(&f.Latitude, values[colLatitude], colLatitude, bad)
	setFloat(&f.Longitude, values[colLongitude], colLongitude, bad)
	setLookup(&f.PropertyType, values[colPropertyType], colPropertyType, propertyTypes, bad)
	setLookup(&f.StandardStatus, values[colStandardStatus], colStandardStatus, standardStatuses, bad)
	for _, t := range [...]struct {
		col int
		dst *Patch[string]
	}{
		{colLotSizeAcres, &f.LotSizeAcres}, {colPropertySubType, &f.PropertySubType},
		{colUnparsedAddress, &f.UnparsedAddress}, {colStreetNumber, &f.StreetNumber},
		{colStreetName, &f.StreetName}, {colUnitNumber, &f.UnitNumber}, {colCity, &f.City}, {colStateOrProvince, &f.StateOrProvince},
		{colPostalCode, &f.PostalCode}, {colCountry, &f.Country}, {colPublicRemarks, &f.PublicRemarks},
	} {
		if v := values[t.col]; v != "" {
			*t.dst = Of(v)
		}
	}

	p, err := NewProperty(id, orgID, f, now)
	if err != nil {
		e, ok := apperr.As(err)
		if !ok {
			bad(colListingKey, err.Error()) // unreachable: NewProperty returns field errors
			return Property{}, errs
		}
		for _, fe := range e.Fields {
			col := importColumn(fe.Field, priceCol)
			if !hasError(errs, col) { // a value that did not parse is reported once
				bad(col, fe.Message)
			}
		}
	}
	if len(errs) == 0 && p.ListingKey == nil {
		key := AddressKey(p)
		p.ListingKey = &key
	}
	if len(errs) > 0 {
		// In column order, as a reader scans the row.
		slices.SortStableFunc(errs, func(a, b ImportError) int { return a.Field - b.Field })
		return Property{}, errs
	}
	return p, nil
}

func hasError(errs []ImportError, col int) bool {
	for _, e := range errs {
		if e.Field == col {
			return true
		}
	}
	return false
}

// importColumn maps a field NewProperty names to its import column: the
// price to the column it came from.
func importColumn(field string, priceCol int) int {
	if field == "list_price_cents" {
		return priceCol
	}
	for i, f := range importFields {
		if f.Name == field {
			return i
		}
	}
	return colListingKey // unreachable: every property field is an import column
}

func setInt[T int | int64](dst *Patch[T], s string, col int, bad func(int, string)) {
	if s == "" {
		return
	}
	n, ok := csvimport.ParseWhole(s) // 1850 or 1,850
	if !ok || int64(T(n)) != n {
		bad(col, "must be a whole number")
		return
	}
	*dst = Of(T(n))
}

// setBaths reads a bathroom count. Exports write half baths as a fraction
// (Redfin's 2.5); RESO's BathroomsTotalInteger is the simple sum of the
// bathrooms, a half bath counted as one, so a fraction rounds up.
func setBaths(dst *Patch[int], s string, bad func(int, string)) {
	if s == "" {
		return
	}
	whole, frac, ok := strings.Cut(s, ".")
	if !ok {
		setInt(dst, s, colBathroomsTotalInteger, bad)
		return
	}
	n, okWhole := csvimport.ParseWhole(whole)
	if !okWhole || frac == "" || strings.Trim(frac, "0123456789") != "" || n > MaxRooms {
		bad(colBathroomsTotalInteger, "must be a number of bathrooms, such as 2 or 2.5")
		return
	}
	if strings.Trim(frac, "0") != "" {
		n++
	}
	*dst = Of(int(n))
}

// setLookup reads a RESO lookup as people spell it (ImportColumns'
// values: "single family" is Residential, "Sold" is Closed); a cell that
// maps to nothing is refused with its original spelling and the values.
func setLookup(dst *Patch[string], s string, col int, values []string, bad func(int, string)) {
	if s == "" {
		return
	}
	v, ok := ImportColumns.Lookup(importFields[col].Name, s)
	if !ok {
		bad(col, fmt.Sprintf("%q is no RESO %s value nor a known spelling of one: write one of %s", s, resoName(col), strings.Join(values, ", ")))
		return
	}
	*dst = Of(v)
}

func resoName(col int) string {
	if col == colPropertyType {
		return "PropertyType"
	}
	return "StandardStatus"
}

func setFloat(dst *Patch[float64], s string, col int, bad func(int, string)) {
	if s == "" {
		return
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		bad(col, "must be a number")
		return
	}
	*dst = Of(v)
}

// AddressKey is the listing key of a property imported without one:
// "addr-" and the first 20 hex digits of the SHA-256 of its normalised
// address (NormalAddress), so the same place written twice — "12 Oak
// Avenue, Apt 4B" and "12 oak ave apt 4b" — dedupes like a repeated MLS
// number, in this import and in every later one.
func AddressKey(p Property) string {
	sum := sha256.Sum256([]byte(NormalAddress(p)))
	return "addr-" + hex.EncodeToString(sum[:10])
}

// streetWords are the USPS abbreviations (Publication 28) addresses are
// compared by.
var streetWords = map[string]string{
	"street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr", "boulevard": "blvd", "lane": "ln",
	"court": "ct", "place": "pl", "terrace": "ter", "circle": "cir", "highway": "hwy", "parkway": "pkwy",
	"square": "sq", "trail": "trl", "way": "way", "north": "n", "south": "s", "east": "e", "west": "w",
	"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
	// Every unit designator reads as one: "Apt 4B", "Unit 4B", "#4B".
	"apartment": "apt", "unit": "apt", "suite": "apt", "ste": "apt", "#": "apt", "number": "apt", "no": "apt",
}

// NormalAddress is the address a derived listing key hashes: the street
// address and unit, city, state and the first five characters of the
// postal code, lower case, punctuation dropped, words abbreviated the USPS
// way, joined by "|".
func NormalAddress(p Property) string {
	words := func(s string) string {
		var out []string
		for _, w := range strings.FieldsFunc(strings.ToLower(strings.ReplaceAll(s, "#", " # ")), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '#'
		}) {
			if a, ok := streetWords[w]; ok {
				w = a
			}
			out = append(out, w)
		}
		return strings.Join(out, " ")
	}
	street := p.UnparsedAddress
	if p.UnitNumber != nil && !strings.Contains(strings.ToLower(street), strings.ToLower(*p.UnitNumber)) {
		street += " " + *p.UnitNumber
	}
	zip := ""
	if p.PostalCode != nil {
		zip = strings.ToLower(strings.ReplaceAll(*p.PostalCode, " ", ""))
		if len(zip) > 5 && digitsOnly(zip[:5]) {
			zip = zip[:5]
		}
	}
	state := ""
	if p.StateOrProvince != nil {
		state = words(*p.StateOrProvince)
	}
	return strings.Join([]string{words(street), words(p.City), state, zip, strings.ToLower(p.Country)}, "|")
}

func digitsOnly(s string) bool { return strings.Trim(s, "0123456789") == "" }

// DuplicateReason explains a record skipped because its listing_key is
// already taken: by an earlier record of the same batch (line > 0), or by
// a property of the organisation (an earlier batch, an earlier import, or
// a property created by hand).
func DuplicateReason(key string, line int) string {
	if line > 0 {
		return fmt.Sprintf("duplicate: listing_key %q repeats line %d; the row was skipped", key, line)
	}
	return fmt.Sprintf("duplicate: a property with listing_key %q already exists; the row was skipped", key)
}
