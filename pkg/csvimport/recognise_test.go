package csvimport_test

import (
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/csvimport"
)

var propertyFields = []csvimport.Field{
	{Name: "listing_key"}, {Name: "list_price_cents"}, {Name: "list_price"}, {Name: "bedrooms_total"},
	{Name: "bathrooms_total_integer"}, {Name: "living_area"}, {Name: "year_built"}, {Name: "property_type", Required: true},
	{Name: "standard_status"}, {Name: "unparsed_address"}, {Name: "city", Required: true}, {Name: "state_or_province"},
	{Name: "postal_code"}, {Name: "latitude"}, {Name: "longitude"}, {Name: "public_remarks"},
}

// header maps a header line with the property table and returns column → "field (why)".
func header(t *testing.T, fields []csvimport.Field, rec *csvimport.Recognition, line string, mapping map[string]string) (map[string]string, csvimport.Report) {
	t.Helper()
	rep := csvimport.NewReport()
	if _, err := csvimport.NewReader(strings.NewReader(line+"\n"), csvimport.Options{Fields: fields, Recognise: rec, Mapping: mapping}, &rep); err != nil {
		t.Fatalf("header %q: %v", line, err)
	}
	got := map[string]string{}
	for _, c := range rep.Columns {
		got[c.Column] = c.Field + " (" + c.Why + ")"
	}
	return got, rep
}

func TestRecognisesARedfinExport(t *testing.T) {
	line := "SALE TYPE,SOLD DATE,PROPERTY TYPE,ADDRESS,CITY,STATE OR PROVINCE,ZIP OR POSTAL CODE,PRICE,BEDS,BATHS,LOCATION," +
		"SQUARE FEET,LOT SIZE,YEAR BUILT,DAYS ON MARKET,$/SQUARE FEET,HOA/MONTH,STATUS,NEXT OPEN HOUSE START TIME," +
		"NEXT OPEN HOUSE END TIME,URL (SEE https://www.redfin.com/buy-a-home/comparative-market-analysis FOR INFO ON PRICING)," +
		"SOURCE,MLS#,FAVORITE,INTERESTED,LATITUDE,LONGITUDE"
	got, rep := header(t, propertyFields, csvimport.PropertyColumns, line, nil)
	want := map[string]string{
		"PROPERTY TYPE":      "property_type (field name)",
		"ADDRESS":            `unparsed_address (synonym "Address")`,
		"CITY":               "city (field name)",
		"STATE OR PROVINCE":  "state_or_province (field name)",
		"ZIP OR POSTAL CODE": "postal_code (format: Redfin CSV)",
		"PRICE":              `list_price (synonym "Price")`,
		"BEDS":               `bedrooms_total (synonym "Beds")`,
		"BATHS":              `bathrooms_total_integer (synonym "Baths")`,
		"SQUARE FEET":        `living_area (synonym "Square Feet")`,
		"YEAR BUILT":         "year_built (field name)",
		"STATUS":             `standard_status (synonym "Status")`,
		"MLS#":               `listing_key (synonym "MLS #")`,
		"LATITUDE":           "latitude (field name)",
		"LONGITUDE":          "longitude (field name)",
	}
	assertMapping(t, got, want)
	for _, c := range []string{"$/SQUARE FEET", "LOT SIZE", "SOURCE", "SALE TYPE"} {
		if !contains(rep.IgnoredColumns, c) {
			t.Errorf("%q not ignored: %v", c, rep.IgnoredColumns)
		}
	}
}

func TestRecognisesTheHandMadeSpreadsheetOfIssue17(t *testing.T) {
	got, rep := header(t, propertyFields, csvimport.PropertyColumns, "Address, City, State, Zip, Price, Beds, Baths, SqFt, Type, Status", nil)
	assertMapping(t, got, map[string]string{
		"Address": `unparsed_address (synonym "Address")`, "City": "city (field name)",
		"State": `state_or_province (synonym "State")`, "Zip": `postal_code (synonym "Zip")`,
		"Price": `list_price (synonym "Price")`, "Beds": `bedrooms_total (synonym "Beds")`,
		"Baths": `bathrooms_total_integer (synonym "Baths")`, "SqFt": `living_area (synonym "SqFt")`,
		"Type": `property_type (synonym "Type")`, "Status": `standard_status (synonym "Status")`,
	})
	if len(rep.IgnoredColumns) != 0 {
		t.Errorf("ignored %v", rep.IgnoredColumns)
	}
	leads := []csvimport.Field{{Name: "first_name"}, {Name: "last_name"}, {Name: "full_name"}, {Name: "email"}, {Name: "phone"},
		{Name: "source"}, {Name: "tags"}, {Name: "notes"}, {Name: "status"}, {Name: "assigned_agent"}}
	got, _ = header(t, leads, csvimport.LeadColumns, "First Name,Last Name,E-mail Address,Mobile Phone,Lead Source,Tags,Notes,Stage,Assigned To", nil)
	assertMapping(t, got, map[string]string{
		"First Name": "first_name (field name)", "Last Name": "last_name (field name)",
		"E-mail Address": `email (synonym "Email Address")`, "Mobile Phone": `phone (synonym "Mobile Phone")`,
		"Lead Source": `source (synonym "Lead Source")`, "Tags": "tags (field name)", "Notes": "notes (field name)",
		"Stage": `status (synonym "Stage")`, "Assigned To": `assigned_agent (synonym "Assigned To")`,
	})
}

func TestRecognisesRESONamesAndPrefersThemToSynonyms(t *testing.T) {
	// ListingId is a synonym of listing_key; ListingKey is its RESO name and
	// wins, whichever comes first; ListingId is then ignored.
	got, rep := header(t, propertyFields, csvimport.PropertyColumns,
		"ListingId,ListingKey,ListPrice,BedroomsTotal,BathroomsTotalInteger,LivingArea,PropertyType,StandardStatus,UnparsedAddress,City,StateOrProvince,PostalCode", nil)
	assertMapping(t, got, map[string]string{
		"ListingKey": "listing_key (RESO name ListingKey)", "ListPrice": "list_price (RESO name ListPrice)",
		"BedroomsTotal": "bedrooms_total (RESO name BedroomsTotal)", "BathroomsTotalInteger": "bathrooms_total_integer (RESO name BathroomsTotalInteger)",
		"LivingArea": "living_area (RESO name LivingArea)", "PropertyType": "property_type (RESO name PropertyType)",
		"StandardStatus": "standard_status (RESO name StandardStatus)", "UnparsedAddress": "unparsed_address (RESO name UnparsedAddress)",
		"City": "city (field name)", "StateOrProvince": "state_or_province (RESO name StateOrProvince)", "PostalCode": "postal_code (RESO name PostalCode)",
	})
	if !contains(rep.IgnoredColumns, "ListingId") {
		t.Errorf("ListingId not ignored: %v", rep.IgnoredColumns)
	}
}

func TestAnEditedMappingWinsOverTheTable(t *testing.T) {
	got, rep := header(t, propertyFields, csvimport.PropertyColumns, "Type,Kind,City,Price", map[string]string{"Kind": "property_type", "Price": ""})
	assertMapping(t, got, map[string]string{"Kind": "property_type (mapping)", "City": "city (field name)"})
	if !contains(rep.IgnoredColumns, "Type") || !contains(rep.IgnoredColumns, "Price") {
		t.Errorf("ignored = %v", rep.IgnoredColumns)
	}
	m := rep.MappingOf()
	if m["Kind"] != "property_type" || m["Type"] != "" || m["Price"] != "" || m["City"] != "city" || len(m) != 4 {
		t.Errorf("MappingOf = %v", m)
	}
}

func TestHeaderKey(t *testing.T) {
	for in, want := range map[string]string{
		"MLS #": "mlsnum", "mls#": "mlsnum", " Sq. Ft ": "sqft", "$/SQUARE FEET": "usdsquarefeet", "ZIP_CODE": "zipcode", "Código Postal": "códigopostal",
	} {
		if got := csvimport.HeaderKey(in); got != want {
			t.Errorf("HeaderKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLookupValuesAsPeopleWriteThem(t *testing.T) {
	for _, c := range []struct{ field, in, want string }{
		{"property_type", "single family", "Residential"},
		{"property_type", "Single Family Residential", "Residential"},
		{"property_type", "RESIDENTIAL", "Residential"},
		{"property_type", "residential income", "ResidentialIncome"},
		{"property_type", "Multi-Family (2-4 Unit)", "ResidentialIncome"},
		{"property_type", "condo/co-op", "Residential"},
		{"property_type", "Vacant land", "Land"},
		{"standard_status", "active under contract", "Active Under Contract"},
		{"standard_status", "ActiveUnderContract", "Active Under Contract"},
		{"standard_status", "Sold", "Closed"},
		{"standard_status", " coming  soon ", "Coming Soon"},
	} {
		got, ok := csvimport.PropertyColumns.Lookup(c.field, c.in)
		if !ok || got != c.want {
			t.Errorf("Lookup(%s, %q) = %q, %v; want %q", c.field, c.in, got, ok, c.want)
		}
	}
	for _, in := range []string{"castle", "", "Residential Lease Income"} {
		if got, ok := csvimport.PropertyColumns.Lookup("property_type", in); ok {
			t.Errorf("Lookup(%q) = %q, want no match", in, got)
		}
	}
	if _, ok := csvimport.PropertyColumns.Lookup("city", "Madison"); ok {
		t.Error("city is no lookup")
	}
}

func TestATableThatClaimsAHeaderTwiceIsRefused(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a header two fields claim")
		}
	}()
	csvimport.Recognise(csvimport.Known{Field: "a", Synonyms: []string{"Zip"}}, csvimport.Known{Field: "b", Synonyms: []string{"ZIP"}})
}

func TestParseMoneyRealWorldSpellings(t *testing.T) {
	for in, want := range map[string]int64{
		"350000": 35000000, "350000.00": 35000000, "$350,000": 35000000, "350,000.5": 35000050, "$ 350,000.99": 35000099,
		"€1.234,56": 123456, "1.234.567,8 €": 123456780, "1234,5": 123450, "350 000,00": 35000000, "USD 1,200": 120000,
		"£999": 99900, "1,234,567": 123456700, "0.99": 99, "350000 USD": 35000000, "\u00a0$1\u00a0000": 100000,
	} {
		got, err := csvimport.ParseMoney(in)
		if err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "$", "abc", "1.234", "12.345", "1,23,456", "-5", "1.2.3", "350,000.123", "$$5", ",5", "1,", "1.", "1e5",
		"1000000000000", "100,000,000,001"} {
		if got, err := csvimport.ParseMoney(in); err == nil {
			t.Errorf("ParseMoney(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseBoolRealWorldSpellings(t *testing.T) {
	for in, want := range map[string]bool{"Yes": true, "Y": true, "TRUE": true, "1": true, "x": true, "✓": true,
		"no": false, "N": false, "False": false, "0": false, "off": false} {
		if got, err := csvimport.ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "maybe", "2", "yess"} {
		if _, err := csvimport.ParseBool(in); err == nil {
			t.Errorf("ParseBool(%q) accepted", in)
		}
	}
}

func TestParseDateInTheOrganisationsZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, ny) }
	for in, want := range map[string]time.Time{
		"2026-03-14":           at(2026, 3, 14, 0, 0),
		"3/14/2026":            at(2026, 3, 14, 0, 0),
		"03/04/2026":           at(2026, 3, 4, 0, 0), // month first
		"2026/3/14":            at(2026, 3, 14, 0, 0),
		"Mar 14, 2026":         at(2026, 3, 14, 0, 0),
		"march 14 2026":        at(2026, 3, 14, 0, 0),
		"14 March 2026":        at(2026, 3, 14, 0, 0),
		"14-Mar-2026":          at(2026, 3, 14, 0, 0),
		"3/14/2026 2:30 pm":    at(2026, 3, 14, 14, 30),
		"2026-03-14 14:30":     at(2026, 3, 14, 14, 30),
		"2026-03-14T18:30:00Z": time.Date(2026, 3, 14, 18, 30, 0, 0, time.UTC),
	} {
		got, err := csvimport.ParseDate(in, ny)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "13/14/2026", "2026-02-30", "0999-01-01", "yesterday", "3/14"} {
		if got, err := csvimport.ParseDate(in, ny); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", in, got)
		}
	}
}

func assertMapping(t *testing.T, got, want map[string]string) {
	t.Helper()
	for col, w := range want {
		if got[col] != w {
			t.Errorf("%q → %q, want %q", col, got[col], w)
		}
	}
	for col, g := range got {
		if _, ok := want[col]; !ok {
			t.Errorf("%q → %q, want it ignored", col, g)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
