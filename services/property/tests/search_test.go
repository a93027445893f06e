package tests

import (
	"net/http"
	"net/url"
	"testing"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	maple := e.create(admin, house("123 Maple Street", "Springfield", 300_000_00, map[string]any{"postal_code": "62701"})).ID
	avenue := e.create(admin, house("45 Maple Avenue", "Springfield", 250_000_00, nil)).ID
	remarks := e.create(admin, house("9 Oak Road", "Springfield", 200_000_00, map[string]any{"public_remarks": "Shaded by an old maple tree"})).ID
	elsewhere := e.create(admin, house("123 Maple Street", "Shelbyville", 310_000_00, nil)).ID
	e.create(admin, house("500 Birch Drive", "Springfield", 100_000_00, nil))

	search := func(q string, filters string) []propertyJSON {
		t.Helper()
		path := "/api/v1/properties/search?q=" + url.QueryEscape(q)
		if filters != "" {
			path += "&" + filters
		}
		r := e.call(http.MethodGet, path, admin.Token, nil)
		expect(t, r, http.StatusOK, path)
		return decode[listJSON[propertyJSON]](t, r).Items
	}

	// Misspelled, combined with a city filter: the Springfield house first,
	// Shelbyville's filtered out.
	got := search("Mapel Stret", "city=Springfield")
	if len(got) == 0 || got[0].ID != maple {
		t.Fatalf("Mapel Stret: %v", ids(got))
	}
	for _, p := range got {
		if p.ID == elsewhere {
			t.Fatal("city filter ignored")
		}
	}
	if all := ids(search("Mapel Stret", "")); !contains(all, maple) || !contains(all, elsewhere) {
		t.Fatalf("Mapel Stret without filter: %v", all)
	}

	// Partial, as typed.
	if got := search("12 Map", "city=springfield"); len(got) == 0 || got[0].ID != maple {
		t.Fatalf("12 Map: %v", ids(got))
	}

	// An address hit ranks above a remarks hit; both above nothing.
	got = search("maple", "city=Springfield")
	pos := map[string]int{}
	for i, p := range got {
		pos[p.ID] = i + 1
	}
	if pos[maple] == 0 || pos[avenue] == 0 || pos[remarks] == 0 || pos[remarks] < pos[maple] || pos[remarks] < pos[avenue] {
		t.Fatalf("maple ranking %v (maple %d, avenue %d, remarks %d)", ids(got), pos[maple], pos[avenue], pos[remarks])
	}
	for i := 1; i < len(got); i++ {
		if got[i].Score > got[i-1].Score {
			t.Fatalf("scores not descending: %v", got)
		}
	}
	if len(search("62701", "")) != 1 {
		t.Fatal("postal code not searchable")
	}

	// Paging by (score, id) walks every hit once.
	seen := map[string]bool{}
	cursor := ""
	for range 10 {
		body := map[string]any{"q": "maple", "limit": 1}
		if cursor != "" {
			body["cursor"] = cursor
		}
		r := e.call(http.MethodPost, "/api/v1/search/properties", admin.Token, body)
		expect(t, r, http.StatusOK, "POST search")
		page := decode[listJSON[propertyJSON]](t, r)
		for _, p := range page.Items {
			if seen[p.ID] {
				t.Fatalf("hit %s repeated", p.ID)
			}
			seen[p.ID] = true
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if len(seen) != 4 {
		t.Fatalf("paged search saw %d hits, want 4", len(seen))
	}

	// POST with filters.
	r := e.call(http.MethodPost, "/api/v1/search/properties", admin.Token, map[string]any{
		"q": "Mapel Stret", "city": "Shelbyville", "status": []string{"Active"}, "max_price_cents": 400_000_00,
	})
	expect(t, r, http.StatusOK, "POST search with filters")
	if got := decode[listJSON[propertyJSON]](t, r).Items; len(got) != 1 || got[0].ID != elsewhere {
		t.Fatalf("POST filters: %v", ids(got))
	}

	// Archived properties are not found unless asked for.
	expect(t, e.call(http.MethodDelete, "/api/v1/properties/"+elsewhere, admin.Token, nil), http.StatusNoContent, "archive")
	if contains(ids(search("maple street", "")), elsewhere) {
		t.Fatal("archived property found")
	}
	if !contains(ids(search("maple street", "include_archived=true")), elsewhere) {
		t.Fatal("include_archived ignored by search")
	}

	for _, c := range []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{http.MethodGet, "/api/v1/properties/search?q=", nil, 422, "q"},
		{http.MethodGet, "/api/v1/properties/search?q=" + url.QueryEscape("&|!"), nil, 422, "q"},
		{http.MethodGet, "/api/v1/properties/search?q=a&status=Sold", nil, 422, "status"},
		{http.MethodGet, "/api/v1/properties/search?q=a&sort=list_price", nil, 400, "sort"},
		{http.MethodPost, "/api/v1/search/properties", map[string]any{"q": "a", "bbox": []float64{1, 2}}, 422, "bbox"},
		{http.MethodPost, "/api/v1/search/properties", map[string]any{"q": "a", "limit": 500}, 422, "limit"},
		{http.MethodPost, "/api/v1/search/properties", map[string]any{"q": "a", "cursor": "zzz"}, 400, "cursor"},
		{http.MethodPost, "/api/v1/search/properties", map[string]any{"q": "a", "org_id": newOrg()}, 422, "org_id"},
	} {
		expectField(t, e.call(c.method, c.path, admin.Token, c.body), c.status, c.field, c.method+" "+c.path)
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
