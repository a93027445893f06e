package tests

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"reos.dev/pkg/csvimport"
)

// The files of issue 17, each imported with no mapping given; the report
// says which column went where and why.
var (
	redfinCSV = []byte("SALE TYPE,SOLD DATE,PROPERTY TYPE,ADDRESS,CITY,STATE OR PROVINCE,ZIP OR POSTAL CODE,PRICE,BEDS,BATHS,LOCATION," +
		"SQUARE FEET,LOT SIZE,YEAR BUILT,DAYS ON MARKET,$/SQUARE FEET,HOA/MONTH,STATUS,NEXT OPEN HOUSE START TIME,NEXT OPEN HOUSE END TIME," +
		"URL (SEE https://www.redfin.com/buy-a-home/comparative-market-analysis FOR INFO ON PRICING),SOURCE,MLS#,FAVORITE,INTERESTED,LATITUDE,LONGITUDE\n" +
		"MLS Listing,,Single Family Residential,1204 Maple Dr,Madison,WI,53703,425000,3,2.5,Eastside,1850,6534,1998,12,230,,Active,,,https://www.redfin.com/x,SCWMLS,1987654,N,Y,43.07,-89.38\n" +
		"MLS Listing,,Condo/Co-op,8 Lake St #3,Madison,WI,53703,\"$289,900\",2,2,Downtown,\"1,020\",,2008,40,284,350,Contingent,,,https://www.redfin.com/y,SCWMLS,1987655,N,Y,43.08,-89.39\n")
	handMadeCSV = []byte("Address, City, State, Zip, Price, Beds, Baths, SqFt, Type, Status\n" +
		"12 Oak Avenue,Austin,TX,78701,\"$350,000\",3,2,1600,single family,for sale\n" +
		"12 oak ave.,AUSTIN,tx,78701,\"$351,000\",3,2,1600,Single Family,Active\n" + // the same place: skipped
		"9 Elm St,Austin,TX,78702,\"$199,000\",2,1,900,castle,Active\n") // no such type: reported
	resoCSV = []byte("ListingKey,ListPrice,BedroomsTotal,BathroomsTotalInteger,LivingArea,PropertyType,StandardStatus,UnparsedAddress,City,StateOrProvince,PostalCode\n" +
		"R-1,510000.00,4,3,2400,Residential,Active Under Contract,77 Birch Rd,Denver,CO,80203\n")
)

func TestImportTakesTheFilesPeopleHave(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")

	imp := importWithout(t, e, admin, redfinCSV)
	if imp.Report.Accepted != 2 || imp.Report.Rejected != 0 {
		t.Fatalf("Redfin: %s %+v", imp.counts(), imp.Report.Errors)
	}
	expectColumn(t, imp, "ZIP OR POSTAL CODE", "postal_code", "format: Redfin CSV")
	expectColumn(t, imp, "MLS#", "listing_key", `synonym "MLS #"`)
	expectColumn(t, imp, "PRICE", "list_price", `synonym "Price"`)
	p := propertyByKey(t, e, admin, "1987655")
	if p.ListPriceCents != 28990000 || p.PropertyType != "Residential" || p.StandardStatus != "Active Under Contract" ||
		*p.LivingArea != 1020 || *p.BathroomsTotalInteger != 2 || *p.PostalCode != "53703" {
		t.Fatalf("Redfin row: %+v", p)
	}
	if p := propertyByKey(t, e, admin, "1987654"); *p.BathroomsTotalInteger != 3 || p.ListPriceCents != 42500000 {
		t.Fatalf("2.5 baths, 425000: %+v", p)
	}

	imp = importWithout(t, e, admin, handMadeCSV)
	if imp.Report.Accepted != 1 || imp.Report.Skipped != 1 || imp.Report.Rejected != 1 {
		t.Fatalf("hand-made: %s %+v", imp.counts(), imp.Report.Errors)
	}
	expectColumn(t, imp, "Type", "property_type", `synonym "Type"`)
	expectColumn(t, imp, "Zip", "postal_code", `synonym "Zip"`)
	errs := imp.Report.Errors
	if len(errs) != 2 || errs[0].Line != 3 || !strings.HasPrefix(errs[0].Reason, "duplicate") ||
		errs[1].Line != 4 || errs[1].Column != "Type" || !strings.Contains(errs[1].Reason, `"castle" is no RESO PropertyType`) {
		t.Fatalf("hand-made errors %+v", errs)
	}
	var key string
	for _, it := range decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties?limit=100", admin.Token, nil)).Items {
		if it.UnparsedAddress == "12 Oak Avenue" {
			key = *it.ListingKey
			if it.ListPriceCents != 35000000 || it.StandardStatus != "Active" || it.PropertyType != "Residential" {
				t.Fatalf("hand-made row %+v", it)
			}
		}
	}
	if !strings.HasPrefix(key, "addr-") {
		t.Fatalf("no derived listing key: %q", key)
	}

	imp = importWithout(t, e, admin, resoCSV)
	if imp.Report.Accepted != 1 {
		t.Fatalf("RESO: %s %+v", imp.counts(), imp.Report.Errors)
	}
	expectColumn(t, imp, "ListPrice", "list_price", "RESO name ListPrice")
	if p := propertyByKey(t, e, admin, "R-1"); p.ListPriceCents != 51000000 || p.StandardStatus != "Active Under Contract" {
		t.Fatalf("RESO row %+v", p)
	}
}

type previewJSON struct {
	Columns  []csvimport.ColumnMapping `json:"columns"`
	Mapping  map[string]string         `json:"mapping"`
	Unmapped []string                  `json:"unmapped_columns"`
	Rows     []csvimport.PreviewRow    `json:"rows"`
	More     bool                      `json:"more"`
}

func TestImportDryRunWritesNothingAndTheEditedMappingIsHonoured(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, diskAt(t, dir))
	admin := e.token(newOrg(), "*")
	file := []byte("Street,Town,Kind,Asking,Type\n" +
		"1 Elm St,Dallas,Land,\"$100,000\",ignored\n" +
		"2 Elm St,Dallas,Land,12.345,ignored\n")
	count := func() [2]int {
		return [2]int{scalar[int](e, `SELECT count(*) FROM property.properties`), scalar[int](e, `SELECT count(*) FROM property.property_imports`)}
	}
	before := count()
	// Without a mapping the file cannot be imported: no column is a price
	// (the dry run answers as the import would).
	expectField(t, e.upload(admin.Token, importPath+"?dry_run=true", fileForm("a.csv", "text/csv", file)), http.StatusUnprocessableEntity, "list_price_cents", "dry run, no mapping")

	edited := `{"Street": "unparsed_address", "Town": "city", "Kind": "property_type", "Asking": "list_price", "Type": ""}`
	r := e.upload(admin.Token, importPath+"?dry_run=true", fileForm("a.csv", "text/csv", file, [2]string{"mapping", edited}))
	expect(t, r, http.StatusOK, "dry run")
	p := decode[previewJSON](t, r)
	if len(p.Columns) != 4 || p.Columns[0] != (csvimport.ColumnMapping{Column: "Street", Field: "unparsed_address", Why: "mapping"}) ||
		len(p.Unmapped) != 1 || p.Unmapped[0] != "Type" || p.Mapping["Type"] != "" || p.Mapping["Asking"] != "list_price" || p.More {
		t.Fatalf("preview mapping %+v", p)
	}
	if len(p.Rows) != 2 || p.Rows[0].Outcome != "import" || p.Rows[1].Outcome != "reject" || p.Rows[1].Line != 3 ||
		p.Rows[1].Errors[0].Column != "Asking" || len(p.Rows[0].Notes) != 1 || !strings.Contains(p.Rows[0].Notes[0], `derived from the address "1 elm st|dallas||`) {
		t.Fatalf("preview rows %+v", p.Rows)
	}
	if after := count(); after != before {
		t.Fatalf("the dry run wrote: (properties, imports) %v → %v", before, after)
	}
	if left := storedFiles(t, dir); len(left) != 0 {
		t.Fatalf("the dry run left files: %v", left)
	}

	// The mapping the preview answered, sent back, is what the import uses.
	mapping, err := json.Marshal(p.Mapping)
	if err != nil {
		t.Fatal(err)
	}
	r = e.importCSV(admin, file, string(mapping))
	expect(t, r, http.StatusCreated, "import with the previewed mapping")
	imp := decode[importJSON](t, r)
	if imp.Report.Accepted != 1 || imp.Report.Rejected != 1 || imp.Mapping["Kind"] != "property_type" {
		t.Fatalf("import %s %+v", imp.counts(), imp.Mapping)
	}
	expectColumn(t, imp, "Kind", "property_type", "mapping")
}

func importWithout(t *testing.T, e *env, c caller, file []byte) importJSON {
	t.Helper()
	r := e.importCSV(c, file, "")
	expect(t, r, http.StatusCreated, "import")
	return decode[importJSON](t, r)
}

func expectColumn(t *testing.T, imp importJSON, column, field, why string) {
	t.Helper()
	for _, c := range imp.Report.Columns {
		if c.Column == column {
			if c.Field != field || c.Why != why {
				t.Errorf("%q → %s (%s), want %s (%s)", column, c.Field, c.Why, field, why)
			}
			return
		}
	}
	t.Errorf("%q is not mapped: %+v", column, imp.Report.Columns)
}

func propertyByKey(t *testing.T, e *env, c caller, key string) propertyJSON {
	t.Helper()
	for _, p := range decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties?limit=100", c.Token, nil)).Items {
		if p.ListingKey != nil && *p.ListingKey == key {
			return p
		}
	}
	t.Fatalf("no property %q", key)
	return propertyJSON{}
}
