package tests

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"reos.dev/pkg/postgres"
)

// TestForgedCursorTimes: identity reads no date field from bodies, but a
// list cursor carries a time that reaches PostgreSQL; one forged
// with a time PostgreSQL refuses (year 0) or outside pkg/datetime's range
// was a 500. It is a 400 naming cursor, like any malformed cursor.
func TestForgedCursorTimes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.register("boss@cursor.test", "Cursor Co")
	tok := e.login("boss@cursor.test", goodPassword).AccessToken
	for _, v := range []string{"0000-01-01T00:00:00Z", "0999-12-31T23:59:59Z", "2026-01-01T00:00:00+16:00", "2026-01-01T0:00:00Z"} {
		for _, sort := range []string{"created_at", "-created_at"} {
			c := url.QueryEscape(postgres.EncodeCursor(sort, v, uuid.NewString()))
			r := e.call(http.MethodGet, "/api/v1/users?sort="+sort+"&cursor="+c, tok, nil)
			expect(t, r, http.StatusBadRequest, "cursor at "+v+" sorted by "+sort)
			if !decode[problemJSON](t, r).hasField("cursor") {
				t.Errorf("cursor at %s: problem %s does not name cursor", v, r)
			}
		}
	}
	c := url.QueryEscape(postgres.EncodeCursor("-created_at", "2026-01-01T00:00:00Z", uuid.NewString()))
	expect(t, e.call(http.MethodGet, "/api/v1/users?sort=-created_at&cursor="+c, tok, nil), http.StatusOK, "a cursor in range")
}
