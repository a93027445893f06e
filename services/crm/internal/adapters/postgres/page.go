package postgres

import (
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/httpx"
	"reos.dev/services/crm/internal/app"
)

// Keyset pagination: a page is read as limit+1 rows in (sort value, id)
// order, and the cursor of the next page is the last row's position,
// encoded opaque (httpx.EncodeCursor). Cursors only seek within rows the
// caller may see anyway; they are checked strictly so a forged or stale one
// is a 400 naming cursor, never a 500.

// listCursor is the keyset position of a list page: the sort it belongs to
// ("-created_at" …), the last row's sort value (Time or Num, by field) and
// its id.
type listCursor struct {
	Sort string     `json:"s"`
	Time *time.Time `json:"t,omitempty"`
	Num  *int64     `json:"n,omitempty"`
	ID   string     `json:"id"`
}

// timelineCursor is the keyset position after which a timeline page starts.
type timelineCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"id"`
}

// newestFirst is the order of the lists that have no sort parameter
// (contacts, lead imports, deal documents).
var newestFirst = app.Sort{Field: "created_at", Desc: true}

func sortKey(s app.Sort) string {
	if s.Desc {
		return "-" + s.Field
	}
	return s.Field
}

// decodeListCursor reads a list cursor (nil for the first page) and checks
// it belongs to sort.
func decodeListCursor(raw string, sort app.Sort) (*listCursor, error) {
	if raw == "" {
		return nil, nil
	}
	var c listCursor
	if err := httpx.DecodeCursor(raw, &c); err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(c.ID); err != nil || c.Sort != sortKey(sort) || (c.Time == nil && c.Num == nil) {
		return nil, apperr.BadRequest("cursor", "does not belong to this sort order")
	}
	return &c, nil
}

func decodeTimelineCursor(raw string) (*timelineCursor, error) {
	if raw == "" {
		return nil, nil
	}
	var c timelineCursor
	if err := httpx.DecodeCursor(raw, &c); err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(c.ID); err != nil || c.At.IsZero() {
		return nil, apperr.BadRequest("cursor", "is not a valid cursor")
	}
	return &c, nil
}

// limitOf is the page size of a request; one that names none (an
// in-process caller) gets the transport's default.
func limitOf(n int) int {
	if n <= 0 {
		return httpx.DefaultLimit
	}
	return n
}

// pageOf cuts the limit+1 rows read into a page; key gives a row's cursor
// value.
func pageOf[T any](rows []T, limit int, key func(T) any) app.Page[T] {
	if len(rows) <= limit {
		return app.Page[T]{Items: rows}
	}
	rows = rows[:limit]
	return app.Page[T]{Items: rows, Next: httpx.EncodeCursor(key(rows[limit-1]))}
}

// createdAtCursor is the cursor of a row of a newest-first list.
func createdAtCursor(at time.Time, id string) listCursor {
	return listCursor{Sort: sortKey(newestFirst), Time: &at, ID: id}
}
