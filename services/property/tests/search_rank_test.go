package tests

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// TestSearchTiers pins the ranking of search_page (migration 6): whole
// address words, then the last term as a prefix, then every term as a
// prefix, then anywhere in the document, then fuzzy; the newest first
// inside a tier; filters applied together with the text; keyset pages
// across tiers.
func TestSearchTiers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	other := e.token(newOrg(), "*")
	mk := func(addr string, over map[string]any) string {
		return e.create(admin, house(addr, "Springfield", 300_000_00, over)).ID
	}
	// Created in this order: ids (UUIDv7) grow, so newer is larger.
	lane := mk("108 Park Lane", map[string]any{"bedrooms_total": 3})
	parkway := mk("1080 Parkway", map[string]any{"bedrooms_total": 2})
	remarks := mk("12 Elm Street", map[string]any{"public_remarks": "Walk to the park and the lake."})
	parker := mk("77 Parker Court", map[string]any{"bedrooms_total": 4})
	avenue := mk("5 Park Avenue", map[string]any{"standard_status": "Pending", "list_price_cents": 900_000_00, "bedrooms_total": 5})
	mk("9 Oak Road", nil)
	e.create(other, house("108 Park Lane", "Springfield", 300_000_00, nil))
	e.create(other, house("3 Zebrawood Way", "Springfield", 300_000_00, nil))

	search := func(t *testing.T, q, filters string) []propertyJSON {
		t.Helper()
		path := "/api/v1/properties/search?q=" + url.QueryEscape(q)
		if filters != "" {
			path += "&" + filters
		}
		r := e.call(http.MethodGet, path, admin.Token, nil)
		expect(t, r, http.StatusOK, path)
		return decode[listJSON[propertyJSON]](t, r).Items
	}
	scores := func(items []propertyJSON) []float64 {
		out := make([]float64, len(items))
		for i, p := range items {
			out[i] = p.Score
		}
		return out
	}

	t.Run("tiers", func(t *testing.T) {
		tests := []struct {
			q      string
			want   []string
			scores []float64
		}{
			// "park" is a whole word of Park Avenue and Park Lane, begins
			// Parker and Parkway, and is in a remark.
			{"park", []string{avenue, lane, parker, parkway, remarks}, []float64{5, 5, 4, 4, 2}},
			// The last term as typed so far.
			{"108 par", []string{lane, parkway}, []float64{4, 3}},
			{"108 park lane", []string{lane}, []float64{5}},
			{"12 elm", []string{remarks}, []float64{5}},
			// "10" begins 108 and 1080: both in tier 3, the newer first.
			{"10 park", []string{parkway, lane}, []float64{3, 3}},
			{"lake", []string{remarks}, []float64{2}},
			{"springfield", []string{}, nil},
		}
		for _, tt := range tests {
			got := search(t, tt.q, "")
			if tt.q == "springfield" { // the city: every property of the org, in the document tier
				if len(got) != 6 {
					t.Fatalf("%q: %d hits, want the org's 6", tt.q, len(got))
				}
				continue
			}
			if !slices.Equal(ids(got), tt.want) || !slices.Equal(scores(got), tt.scores) {
				t.Errorf("%q: got %v %v, want %v %v", tt.q, ids(got), scores(got), tt.want, tt.scores)
			}
		}
	})

	t.Run("fuzzy", func(t *testing.T) {
		got := search(t, "108 parck lane", "")
		if len(got) == 0 || got[0].ID != lane || got[0].Score >= 1 || got[0].Score < 0.4 {
			t.Fatalf("misspelled: %v %v", ids(got), scores(got))
		}
		// Another organisation's words do not correct this one's queries
		// and its rows never show.
		if got := search(t, "zebrawod way", ""); len(got) != 0 {
			t.Fatalf("another org's address found: %v", ids(got))
		}
		for _, p := range search(t, "108 park lane", "") {
			if p.OrgID != admin.OrgID {
				t.Fatalf("another org's property %s found", p.ID)
			}
		}
	})

	t.Run("filters with text", func(t *testing.T) {
		tests := []struct {
			filters string
			want    []string
		}{
			{"status=Pending", []string{avenue}},
			{"status=Active", []string{lane, parker, parkway, remarks}},
			{"status=Active,Pending&min_beds=3", []string{avenue, lane, parker}},
			{"max_price_cents=50000000", []string{lane, parker, parkway, remarks}},
			{"min_beds=3&max_beds=4", []string{lane, parker}},
			{"city=SPRINGFIELD&type=Residential&min_price_cents=80000000", []string{avenue}},
			{"city=Shelbyville", []string{}},
		}
		for _, tt := range tests {
			got := ids(search(t, "park", tt.filters))
			if !slices.Equal(got, tt.want) {
				t.Errorf("park & %s: got %v, want %v", tt.filters, got, tt.want)
			}
		}
	})

	t.Run("pages", func(t *testing.T) {
		var walked []string
		cursor := ""
		for range 10 {
			body := map[string]any{"q": "park", "limit": 2}
			if cursor != "" {
				body["cursor"] = cursor
			}
			r := e.call(http.MethodPost, "/api/v1/search/properties", admin.Token, body)
			expect(t, r, http.StatusOK, "page")
			page := decode[listJSON[propertyJSON]](t, r)
			walked = append(walked, ids(page.Items)...)
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if want := []string{avenue, lane, parker, parkway, remarks}; !slices.Equal(walked, want) {
			t.Fatalf("pages walked %v, want %v", walked, want)
		}
	})

	t.Run("changes follow", func(t *testing.T) {
		r := e.call(http.MethodPut, "/api/v1/properties/"+remarks, admin.Token, map[string]any{
			"unparsed_address": "12 Quillfeather Way", "public_remarks": nil, "standard_status": "Closed"})
		expect(t, r, http.StatusOK, "update")
		if got := ids(search(t, "quillfeath", "status=Closed")); !slices.Equal(got, []string{remarks}) {
			t.Fatalf("new address by prefix: %v", got)
		}
		if got := ids(search(t, "12 quilfeather", "")); !slices.Equal(got, []string{remarks}) {
			t.Fatalf("new address misspelled: %v", got)
		}
		if got := search(t, "elm", ""); len(got) != 0 {
			t.Fatalf("old address still found: %v", ids(got))
		}
		expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+parker, admin.Token, nil), http.StatusNoContent, "archive")
		if got := ids(search(t, "park", "")); slices.Contains(got, parker) {
			t.Fatalf("archived property found: %v", got)
		}
		if got := ids(search(t, "park", "include_archived=true")); !slices.Contains(got, parker) {
			t.Fatalf("include_archived: %v", got)
		}
	})
}
