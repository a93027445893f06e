package tests

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// TestTeamsAndRolesPageByName: the role and team lists page by name, then
// id (postgres.Keyset): page by page with limit=1 they serve what one page
// of everything serves, each row once, in name order; and a cursor names
// its list's order, so another list's is a 400 naming cursor.
func TestTeamsAndRolesPageByName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("boss@paging.test", "Paging Co")
	tok := e.login("boss@paging.test", goodPassword).AccessToken
	for _, name := range []string{"Team C", "Team A", "Team B"} {
		expect(t, e.call(http.MethodPost, "/api/v1/teams", tok, map[string]string{"name": name}), http.StatusCreated, "team "+name)
	}
	type named struct {
		Name string `json:"name"`
	}
	type page struct {
		Items      []named `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	names := func(p page) []string {
		var out []string
		for _, it := range p.Items {
			out = append(out, it.Name)
		}
		return out
	}
	get := func(path string) page {
		t.Helper()
		r := e.call(http.MethodGet, path, tok, nil)
		expect(t, r, http.StatusOK, path)
		return decode[page](t, r)
	}
	for _, list := range []string{"/api/v1/teams", "/api/v1/roles"} {
		all := names(get(list + "?limit=200"))
		if len(all) < 3 || !slices.IsSorted(all) {
			t.Fatalf("%s = %v, want 3 or more in name order", list, all)
		}
		var paged []string
		p := get(list + "?limit=1")
		for range len(all) + 1 {
			paged = append(paged, names(p)...)
			if p.NextCursor == nil {
				break
			}
			// Names are text, as full names are: only the order the
			// cursor names tells them apart.
			r := e.call(http.MethodGet, "/api/v1/users?sort=full_name&cursor="+url.QueryEscape(*p.NextCursor), tok, nil)
			expect(t, r, http.StatusBadRequest, list+" cursor on the user list")
			if !decode[problemJSON](t, r).hasField("cursor") {
				t.Errorf("%s cursor on the user list: %s does not name cursor", list, r)
			}
			p = get(list + "?limit=1&cursor=" + url.QueryEscape(*p.NextCursor))
		}
		if !slices.Equal(paged, all) {
			t.Errorf("%s paged by 1 = %v, want %v", list, paged, all)
		}
	}
}
