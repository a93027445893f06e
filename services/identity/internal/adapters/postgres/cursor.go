package postgres

import (
	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/datetime"
	"reos.dev/pkg/httpx"
)

// cursor is the keyset position after the last row of a page: the sort
// value (text, or RFC 3339 for times) and the id that breaks ties.
type cursor struct {
	V  string `json:"v"`
	ID string `json:"id"`
}

func badCursor() error { return apperr.BadRequest("cursor", "is not a valid cursor") }

// decodeCursor reads and checks a cursor so that a forged one is a 400, not
// a cast error in SQL.
func decodeCursor(s string, timeValue bool) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	var c cursor
	if err := httpx.DecodeCursor(s, &c); err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(c.ID); err != nil {
		return nil, badCursor()
	}
	// The time goes to PostgreSQL as text: pkg/datetime's range and form
	// keep out what it refuses (year 0, offsets past ±15:59).
	if timeValue {
		if _, err := datetime.ParseTime(c.V); err != nil {
			return nil, badCursor()
		}
	}
	for _, r := range c.V {
		if r == 0 {
			return nil, badCursor()
		}
	}
	return &c, nil
}

func encodeCursor(v, id string) string { return httpx.EncodeCursor(cursor{V: v, ID: id}) }

func limitOf(n int) int {
	if n <= 0 || n > httpx.MaxLimit {
		return httpx.DefaultLimit
	}
	return n
}
