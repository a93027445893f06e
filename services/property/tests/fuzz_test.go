package tests

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// fuzzSeeds are bodies worth trying on the JSON endpoints.
var fuzzSeeds = []string{
	``, `{}`, `[]`, `null`, `"x"`, `{"city":`, `{"city":null}`, `{"list_price_cents":1e3}`,
	`{"list_price_cents":99999999999999999999,"property_type":"Land","city":"X","unparsed_address":"1 A"}`,
	`{"list_price_cents":1,"property_type":"Land","city":"X","unparsed_address":"1 A"}`,
	`{"list_price_cents":1,"property_type":"Land","city":"X\u0000","unparsed_address":"\u0000"}`,
	`{"list_price_cents":1,"property_type":"Land","city":"X","unparsed_address":"1 A","lot_size_acres":"999999999.9999"}`,
	`{"list_price_cents":1,"property_type":"Land","city":"X","unparsed_address":"1 A","latitude":1e308,"longitude":-1e308}`,
	`{"list_price_cents":1,"property_type":"Land","city":"X","unparsed_address":"1 A","listing_key":"` + strings.Repeat("k", 101) + `"}`,
	`{"list_price_cents":1,"property_type":"Land","city":"X","unparsed_address":"1 A","bedrooms_total":-2147483649}`,
	`{"list_price_cents":1,"property_type":"Land","city":"X","unparsed_address":"` + strings.Repeat("é", 600) + `"}`,
	`{"list_price_cents":1,"property_type":"Land","city":"X","unparsed_address":"1 A","year_built":"1990"}`,
	`{"list_price_cents":1,"property_type":"Land","city":"X","unparsed_address":"1 A"} trailing`,
	`{"q":"maple","bbox":[1,2,3,4],"limit":1}`, `{"q":"\ud800 & | !","status":["Active"]}`, `{"q":"a","cursor":"eyJ2IjoieCJ9"}`,
	`{"property_id":"00000000-0000-0000-0000-000000000000","list_price_cents":1}`,
}

// fuzzEndpoint posts arbitrary bodies: never a 5xx, and errors are always
// problem details.
func fuzzEndpoint(f *testing.F, path string) {
	e := newEnv(f)
	admin := e.token(newOrg(), "*")
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := http.NewRequest(http.MethodPost, e.client.URL()+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("POST %s %q: status %d", path, body, res.StatusCode)
		}
		if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("POST %s %q: status %d with Content-Type %q", path, body, res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
}

func FuzzCreateProperty(f *testing.F)   { fuzzEndpoint(f, "/api/v1/properties") }
func FuzzSearchProperties(f *testing.F) { fuzzEndpoint(f, "/api/v1/search/properties") }
func FuzzCreateListing(f *testing.F)    { fuzzEndpoint(f, "/api/v1/listings") }
