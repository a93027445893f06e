package httpx

import (
	"net/http"
	"strconv"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/postgres"
)

// Pagination bounds shared by every list endpoint: the repositories'
// (pkg/postgres's keyset pages), so what the transport accepts is what a
// repository reads.
const (
	DefaultLimit = postgres.DefaultPageLimit
	MaxLimit     = postgres.MaxPageLimit
)

// Page is the pagination part of a list request. Cursor is opaque here:
// the repository that made it reads it (postgres.Keyset).
type Page struct {
	Limit  int
	Cursor string
}

// List is the envelope of every list response.
type List[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// NewList returns a list whose items are never JSON null.
func NewList[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	l := List[T]{Items: items}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}

// ParsePage reads ?limit= and ?cursor= with the shared defaults and bounds.
func ParsePage(r *http.Request) (Page, error) {
	q := r.URL.Query()
	p := Page{Limit: DefaultLimit, Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return Page{}, apperr.BadRequest("limit", "must be an integer from 1 to "+strconv.Itoa(MaxLimit))
		}
		p.Limit = n
	}
	if len(p.Cursor) > postgres.MaxCursorLen {
		return Page{}, apperr.BadRequest("cursor", "is not a valid cursor")
	}
	return p, nil
}
