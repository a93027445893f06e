package tests

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"reos.dev/pkg/postgres"
)

// TestForgedCursorValues: a cursor's sort value reaches PostgreSQL as the
// sort column's type. One past an int column's width (image positions,
// listing versions) was a 500, the driver refusing to encode it; one that
// is not a finite score was read as one. Each is a 400 naming cursor.
func TestForgedCursorValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.token(newOrg(), "*")
	p := e.create(admin, house("5 Cursor Court", "Raleigh", 250_000_00, nil))
	r := e.call(http.MethodPost, "/api/v1/listings", admin.Token, map[string]any{"property_id": p.ID, "list_price_cents": 1})
	expect(t, r, http.StatusCreated, "listing")
	l := decode[listingJSON](t, r)
	id := uuid.NewString()
	for _, tc := range []struct{ name, query, cursor string }{
		{"image position past int4", "/api/v1/properties/" + p.ID + "/images?", postgres.EncodeCursor("position", "2147483648", id)},
		{"image position not an integer", "/api/v1/properties/" + p.ID + "/images?", postgres.EncodeCursor("position", "1.5", id)},
		{"listing version past int4", "/api/v1/listings/" + l.ID + "/snapshots?", postgres.EncodeCursor("version", "2147483648", id)},
		{"list price past int8", "/api/v1/properties?sort=-list_price&", postgres.EncodeCursor("-list_price", "9223372036854775808", id)},
	} {
		expectField(t, e.call(http.MethodGet, tc.query+"cursor="+tc.cursor, admin.Token, nil), http.StatusBadRequest, "cursor", tc.name)
	}
	for _, score := range []string{"NaN", "+Inf"} {
		expectField(t, e.call(http.MethodPost, "/api/v1/search/properties", admin.Token,
			map[string]any{"q": "cursor", "cursor": postgres.EncodeCursor("score", score, id)}),
			http.StatusBadRequest, "cursor", "search score "+score)
	}
}
