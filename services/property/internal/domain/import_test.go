package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// record builds an import record from field name → value.
func record(t testing.TB, kv map[string]string) []string {
	t.Helper()
	v := make([]string, len(ImportFields()))
	for name, val := range kv {
		i := fieldIndex(name)
		if i < 0 {
			t.Fatalf("no import field %q", name)
		}
		v[i] = val
	}
	return v
}

func fieldIndex(name string) int {
	for i, f := range ImportFields() {
		if f.Name == name {
			return i
		}
	}
	return -1
}

func goodRecord(t testing.TB, over map[string]string) []string {
	kv := map[string]string{"listing_key": "MLS-1", "list_price_cents": "45000000", "property_type": "Residential",
		"unparsed_address": "1 Main St", "city": "Austin"}
	for k, v := range over {
		kv[k] = v
	}
	return record(t, kv)
}

func TestNewImportedPropertyAppliesCreateRules(t *testing.T) {
	t.Parallel()
	p, errs := NewImportedProperty("id", "org", goodRecord(t, map[string]string{
		"list_price_cents": "", "list_price": "450000.5", "bedrooms_total": "3", "lot_size_acres": "007.25",
		"latitude": "30.25", "longitude": "-97.75", "country": "us", "unparsed_address": "", "street_number": "12",
		"street_name": "Oak Ave", "unit_number": "4B",
	}), t0)
	if len(errs) != 0 {
		t.Fatalf("errors %+v", errs)
	}
	if p.ListPriceCents != 45000050 || *p.BedroomsTotal != 3 || *p.LotSizeAcres != "7.25" || *p.Latitude != 30.25 ||
		p.Country != "US" || p.StandardStatus != DefaultStatus || p.UnparsedAddress != "12 Oak Ave 4B" ||
		*p.ListingKey != "MLS-1" || p.BathroomsTotalInteger != nil || p.CreatedAt != t0 {
		t.Fatalf("property %+v", p)
	}
}

func TestNewImportedPropertyReportsEveryBadValue(t *testing.T) {
	t.Parallel()
	type want struct {
		field  string
		reason string
	}
	tests := []struct {
		name string
		over map[string]string
		want []want
	}{
		{"price not a number", map[string]string{"list_price_cents": "12.5"}, []want{{"list_price_cents", "must be a whole number of cents"}}},
		{"dollar price with three decimals", map[string]string{"list_price_cents": "", "list_price": "1.005"}, []want{{"list_price", "at most 2 decimals"}}},
		{"dollar price with bad grouping", map[string]string{"list_price_cents": "", "list_price": "45,00,000"}, []want{{"list_price", "must be an amount"}}},
		{"dollar price out of range", map[string]string{"list_price_cents": "", "list_price": "100000000001"}, []want{{"list_price", "must be an amount"}}},
		{"both prices", map[string]string{"list_price": "1"}, []want{{"list_price", "not both"}}},
		{"no price", map[string]string{"list_price_cents": ""}, []want{{"list_price_cents", "is required"}}},
		{"negative price", map[string]string{"list_price_cents": "-1"}, []want{{"list_price_cents", "must be between 0 and"}}},
		{"listing key too long", map[string]string{"listing_key": strings.Repeat("k", 101)}, []want{{"listing_key", "at most 100"}}},
		{"bad enum", map[string]string{"property_type": "Castle"}, []want{{"property_type", `"Castle" is no RESO PropertyType value`}}},
		{"unknown status", map[string]string{"standard_status": "Sideways"}, []want{{"standard_status", `"Sideways" is no RESO StandardStatus value`}}},
		{"half a bath too many", map[string]string{"bathrooms_total_integer": "2.x"}, []want{{"bathrooms_total_integer", "number of bathrooms"}}},
		{"beds not an integer", map[string]string{"bedrooms_total": "three"}, []want{{"bedrooms_total", "must be a whole number"}}},
		{"beds past int", map[string]string{"bedrooms_total": "99999999999999"}, []want{{"bedrooms_total", "must be"}}},
		{"year out of range", map[string]string{"year_built": "1200"}, []want{{"year_built", "must be between 1600 and 2200"}}},
		{"latitude NaN", map[string]string{"latitude": "NaN", "longitude": "1"}, []want{{"latitude", "must be a number"}}},
		{"latitude alone", map[string]string{"latitude": "1"}, []want{{"longitude", "together"}}},
		{"no city", map[string]string{"city": ""}, []want{{"city", "is required"}}},
		{"no address", map[string]string{"unparsed_address": ""}, []want{{"unparsed_address", "is required"}}},
		{"control character", map[string]string{"city": "Aus\x01tin"}, []want{{"city", "control characters"}}},
		{"several at once, in column order", map[string]string{"year_built": "x", "list_price_cents": "y", "property_type": "Castle"},
			[]want{{"list_price_cents", "whole number of cents"}, {"year_built", "whole number"}, {"property_type", "RESO PropertyType"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, errs := NewImportedProperty("id", "org", goodRecord(t, tc.over), t0)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %+v, want %+v", errs, tc.want)
			}
			for i, w := range tc.want {
				if ImportFields()[errs[i].Field].Name != w.field || !strings.Contains(errs[i].Reason, w.reason) {
					t.Errorf("error %d = %s: %s, want %s: …%s…", i, ImportFields()[errs[i].Field].Name, errs[i].Reason, w.field, w.reason)
				}
			}
		})
	}
}

func TestCheckImportHeader(t *testing.T) {
	t.Parallel()
	has := func(names ...string) func(int) bool {
		return func(i int) bool {
			for _, n := range names {
				if ImportFields()[i].Name == n {
					return true
				}
			}
			return false
		}
	}
	if err := CheckImportHeader(has("list_price", "street_name")); err != nil {
		t.Fatalf("list_price and street_name: %v", err)
	}
	err := CheckImportHeader(has("city"))
	if err == nil || !strings.Contains(err.Error(), "list_price_cents") {
		t.Fatalf("no price, no address: %v", err)
	}
}

func TestImportedValuesAsPeopleWriteThem(t *testing.T) {
	t.Parallel()
	p, errs := NewImportedProperty("id", "org", goodRecord(t, map[string]string{
		"list_price_cents": "", "list_price": "$350,000", "bedrooms_total": "3", "bathrooms_total_integer": "2.5",
		"living_area": "1,850", "property_type": "single family", "standard_status": "Sold",
	}), t0)
	if len(errs) != 0 {
		t.Fatalf("errors %+v", errs)
	}
	if p.ListPriceCents != 35000000 || *p.BathroomsTotalInteger != 3 || *p.LivingArea != 1850 ||
		p.PropertyType != "Residential" || p.StandardStatus != "Closed" {
		t.Fatalf("property %+v", p)
	}
	p, errs = NewImportedProperty("id", "org", goodRecord(t, map[string]string{"bathrooms_total_integer": "2.0"}), t0)
	if len(errs) != 0 || *p.BathroomsTotalInteger != 2 {
		t.Fatalf("2.0 baths: %+v %+v", p.BathroomsTotalInteger, errs)
	}
}

func TestAPropertyWithoutListingKeyGetsOneFromItsAddress(t *testing.T) {
	t.Parallel()
	key := func(over map[string]string) string {
		t.Helper()
		over["listing_key"] = ""
		p, errs := NewImportedProperty("id", "org", goodRecord(t, over), t0)
		if len(errs) != 0 {
			t.Fatalf("errors %+v", errs)
		}
		return *p.ListingKey
	}
	a := key(map[string]string{"unparsed_address": "12 Oak Avenue, Apt 4B", "city": "Austin", "state_or_province": "TX", "postal_code": "78701-1234"})
	same := []map[string]string{
		{"unparsed_address": "12 oak ave apt 4b", "city": "AUSTIN", "state_or_province": "tx", "postal_code": "78701"},
		{"unparsed_address": "12 Oak Ave. #4B", "city": "Austin", "state_or_province": "TX", "postal_code": "78701"},
		{"unparsed_address": "", "street_number": "12", "street_name": "Oak Avenue", "unit_number": "Unit 4B", "city": "Austin", "state_or_province": "TX", "postal_code": "78701"},
	}
	for _, o := range same {
		if k := key(o); k != a {
			t.Errorf("%v → %s, want %s", o, k, a)
		}
	}
	for _, o := range []map[string]string{
		{"unparsed_address": "12 Oak Avenue, Apt 4C", "city": "Austin", "state_or_province": "TX", "postal_code": "78701"},
		{"unparsed_address": "12 Oak Avenue, Apt 4B", "city": "Dallas", "state_or_province": "TX", "postal_code": "78701"},
		{"unparsed_address": "12 Oak Street, Apt 4B", "city": "Austin", "state_or_province": "TX", "postal_code": "78701"},
	} {
		if k := key(o); k == a {
			t.Errorf("%v shares the key %s", o, a)
		}
	}
	if !strings.HasPrefix(a, "addr-") || len(a) != 25 {
		t.Errorf("key %q", a)
	}
	// A listing key the file gives is kept.
	p, _ := NewImportedProperty("id", "org", goodRecord(t, nil), t0)
	if *p.ListingKey != "MLS-1" {
		t.Errorf("listing key %q", *p.ListingKey)
	}
}

// FuzzNewImportedProperty: whatever a record holds, conversion never
// panics; it yields either errors that name real columns with a reason, or
// a property that PostgreSQL's constraints accept (the checks of migration
// 000002, restated here).
func FuzzNewImportedProperty(f *testing.F) {
	f.Add("MLS-1", "45000000", "", "3", "1.5", "Residential", "Active", "1 Main St", "Austin", "30.2", "-97.7")
	f.Add("", "12.5", "450000.50", "x", "", "Castle", "active", "", "", "NaN", "")
	f.Add("k", "", "1.05", "-1", "0009.1234", "Land", "", "\u00a0", "City", "91", "181")
	f.Fuzz(func(t *testing.T, key, cents, price, beds, lot, ptype, status, addr, city, lat, lon string) {
		for _, s := range []string{key, cents, price, beds, lot, ptype, status, addr, city, lat, lon} {
			if !utf8.ValidString(s) {
				return // csvimport refuses the record before it reaches here
			}
		}
		v := record(t, map[string]string{"listing_key": key, "list_price_cents": cents, "list_price": price,
			"bedrooms_total": beds, "lot_size_acres": lot, "property_type": ptype, "standard_status": status,
			"unparsed_address": addr, "city": city, "latitude": lat, "longitude": lon})
		for i := range v {
			v[i] = strings.TrimSpace(v[i])
		}
		p, errs := NewImportedProperty("id", "org", v, t0)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Field < 0 || e.Field >= len(ImportFields()) || e.Reason == "" {
					t.Fatalf("error %+v", e)
				}
			}
			return
		}
		switch {
		case p.ListingKey == nil || *p.ListingKey == "" || utf8.RuneCountInString(*p.ListingKey) > 100:
			t.Fatalf("listing_key %v", p.ListingKey)
		case p.ListPriceCents < 0 || p.ListPriceCents > MaxPriceCents:
			t.Fatalf("price %d", p.ListPriceCents)
		case p.BedroomsTotal != nil && (*p.BedroomsTotal < 0 || *p.BedroomsTotal > MaxRooms):
			t.Fatalf("beds %d", *p.BedroomsTotal)
		case !ValidPropertyType(p.PropertyType) || !ValidStandardStatus(p.StandardStatus):
			t.Fatalf("type %q status %q", p.PropertyType, p.StandardStatus)
		case p.UnparsedAddress == "" || p.City == "" || strings.ContainsRune(p.City, 0):
			t.Fatalf("address %q city %q", p.UnparsedAddress, p.City)
		case (p.Latitude == nil) != (p.Longitude == nil):
			t.Fatal("latitude without longitude")
		case p.Latitude != nil && (*p.Latitude < -90 || *p.Latitude > 90 || *p.Longitude < -180 || *p.Longitude > 180):
			t.Fatalf("position %v %v", *p.Latitude, *p.Longitude)
		case p.LotSizeAcres != nil && !lotSizePattern.MatchString(*p.LotSizeAcres):
			t.Fatalf("lot size %q", *p.LotSizeAcres)
		}
	})
}
