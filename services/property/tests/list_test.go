package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"
)

func TestListFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	mk := func(addr, city, postal, status, typ string, price int64, beds, baths int, lat, lon float64) string {
		return e.create(admin, house(addr, city, price, map[string]any{
			"postal_code": postal, "standard_status": status, "property_type": typ,
			"bedrooms_total": beds, "bathrooms_total_integer": baths, "latitude": lat, "longitude": lon,
		})).ID
	}
	a := mk("1 A St", "Austin", "78701", "Active", "Residential", 200_000_00, 2, 1, 30.27, -97.74)
	b := mk("2 B St", "Austin", "78702", "Pending", "Residential", 350_000_00, 3, 2, 30.30, -97.70)
	c := mk("3 C St", "Denver", "80202", "Active", "Land", 90_000_00, 0, 0, 39.74, -104.99)
	d := mk("4 D St", "denver", "80202", "Closed", "CommercialSale", 900_000_00, 5, 4, 39.75, -105.00)

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"status", "status=Active", []string{a, c}},
		{"two statuses", "status=Pending,Closed", []string{b, d}},
		{"status with spaces", "status=" + url.QueryEscape("Active Under Contract"), nil},
		{"type", "type=Land", []string{c}},
		{"city is case-insensitive", "city=DENVER", []string{c, d}},
		{"postal code", "postal_code=78702", []string{b}},
		{"min price", "min_price_cents=35000000", []string{b, d}},
		{"max price", "max_price_cents=20000000", []string{a, c}},
		{"price range", "min_price_cents=10000000&max_price_cents=40000000", []string{a, b}},
		{"min beds", "min_beds=3", []string{b, d}},
		{"max beds", "max_beds=2", []string{a, c}},
		{"min baths", "min_baths=2", []string{b, d}},
		{"max baths", "max_baths=0", []string{c}},
		{"bbox austin", "bbox=-98,30,-97,31", []string{a, b}},
		{"bbox tight", "bbox=-97.75,30.26,-97.73,30.28", []string{a}},
		{"combined", "city=austin&status=Active&min_beds=1", []string{a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(http.MethodGet, "/api/v1/properties?"+tt.query, admin.Token, nil)
			expect(t, r, http.StatusOK, tt.query)
			got := ids(decode[listJSON[propertyJSON]](t, r).Items)
			sort.Strings(got)
			want := slices.Clone(tt.want)
			sort.Strings(want)
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("%s: got %v, want %v", tt.query, got, want)
			}
		})
	}

	bad := []struct {
		query, field string
		status       int
	}{
		{"status=Sold", "status", http.StatusUnprocessableEntity},
		{"type=Castle", "type", http.StatusUnprocessableEntity},
		{"min_price_cents=abc", "min_price_cents", http.StatusBadRequest},
		{"min_price_cents=10&max_price_cents=5", "min_price_cents", http.StatusUnprocessableEntity},
		{"min_beds=1.5", "min_beds", http.StatusBadRequest},
		{"bbox=1,2,3", "bbox", http.StatusBadRequest},
		{"bbox=10,0,5,1", "bbox", http.StatusUnprocessableEntity},
		{"bbox=0,-91,1,1", "bbox", http.StatusUnprocessableEntity},
		{"sort=bedrooms", "sort", http.StatusBadRequest},
		{"sort=-", "sort", http.StatusBadRequest},
		{"min_price=1", "min_price", http.StatusBadRequest},
		{"limit=0", "limit", http.StatusBadRequest},
		{"limit=201", "limit", http.StatusBadRequest},
		{"cursor=garbage", "cursor", http.StatusBadRequest},
		{"include_archived=maybe", "include_archived", http.StatusBadRequest},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.query, func(t *testing.T) {
			expectField(t, e.call(http.MethodGet, "/api/v1/properties?"+tt.query, admin.Token, nil), tt.status, tt.field, tt.query)
		})
	}
}

func TestListSorting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	var created []string
	for i, price := range []int64{500, 100, 300, 300, 200} {
		created = append(created, e.create(admin, house(fmt.Sprintf("%d Sort St", i), "X", price, nil)).ID)
	}
	list := func(q string) []propertyJSON {
		r := e.call(http.MethodGet, "/api/v1/properties?"+q, admin.Token, nil)
		expect(t, r, http.StatusOK, q)
		return decode[listJSON[propertyJSON]](t, r).Items
	}
	// Default: newest first.
	if got := ids(list("")); !slices.Equal(got, reversed(created)) {
		t.Fatalf("default order %v, want %v", got, reversed(created))
	}
	if got := ids(list("sort=created_at")); !slices.Equal(got, created) {
		t.Fatalf("created_at order %v", got)
	}
	for _, tc := range []struct {
		sort string
		desc bool
	}{{"list_price", false}, {"-list_price", true}} {
		items := list("sort=" + tc.sort + "&limit=2")
		all := items
		// Walk every page to check the order across page boundaries too.
		cursor := decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties?sort="+tc.sort+"&limit=2", admin.Token, nil)).NextCursor
		for cursor != nil {
			page := decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties?sort="+tc.sort+"&limit=2&cursor="+*cursor, admin.Token, nil))
			all = append(all, page.Items...)
			cursor = page.NextCursor
		}
		if len(all) != 5 {
			t.Fatalf("%s: %d rows", tc.sort, len(all))
		}
		for i := 1; i < len(all); i++ {
			prev, cur := all[i-1], all[i]
			ok := prev.ListPriceCents < cur.ListPriceCents || (prev.ListPriceCents == cur.ListPriceCents && prev.ID < cur.ID)
			if tc.desc {
				ok = prev.ListPriceCents > cur.ListPriceCents || (prev.ListPriceCents == cur.ListPriceCents && prev.ID > cur.ID)
			}
			if !ok {
				t.Fatalf("%s: out of order at %d: %d/%s then %d/%s", tc.sort, i, prev.ListPriceCents, prev.ID, cur.ListPriceCents, cur.ID)
			}
		}
	}
	// A cursor of one sort is refused by another.
	c := decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, "/api/v1/properties?sort=list_price&limit=1", admin.Token, nil)).NextCursor
	expectField(t, e.call(http.MethodGet, "/api/v1/properties?sort=created_at&cursor="+*c, admin.Token, nil), http.StatusBadRequest, "cursor", "cursor of another sort")
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// TestPaginationStableUnderInserts: rows inserted between page fetches
// never make an existing row repeat or go missing, for every sort.
func TestPaginationStableUnderInserts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	var before []string
	for i := range 12 {
		before = append(before, e.create(admin, house(fmt.Sprintf("%d Page St", i), "X", int64(1000+i*10), nil)).ID)
	}
	for _, s := range []string{"-created_at", "created_at", "list_price", "-list_price"} {
		t.Run(s, func(t *testing.T) {
			seen := map[string]int{}
			path := "/api/v1/properties?limit=5&sort=" + s
			cursor := ""
			for n := 0; ; n++ {
				q := path
				if cursor != "" {
					q += "&cursor=" + cursor
				}
				page := decode[listJSON[propertyJSON]](t, e.call(http.MethodGet, q, admin.Token, nil))
				for _, p := range page.Items {
					seen[p.ID]++
				}
				// Insert rows that sort before, between and after the page.
				for _, price := range []int64{1, 1055, 999_999} {
					e.create(admin, house(fmt.Sprintf("new %s %d", s, n), "X", price, nil))
				}
				if page.NextCursor == nil || n > 20 {
					break
				}
				cursor = *page.NextCursor
			}
			for _, id := range before {
				if seen[id] != 1 {
					t.Fatalf("row %s seen %d times", id, seen[id])
				}
			}
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("row %s repeated %d times", id, n)
				}
			}
		})
	}
}
