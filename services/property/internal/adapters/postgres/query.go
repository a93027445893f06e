package postgres

import (
	"strconv"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/datetime"
	"reos.dev/pkg/httpx"
)

// builder assembles a WHERE clause from fixed SQL fragments; values only
// ever travel as parameters.
type builder struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// where adds a condition; each %s in frag is replaced by the next value's
// placeholder.
func (b *builder) where(frag string, vals ...any) {
	for _, v := range vals {
		frag = strings.Replace(frag, "%s", b.arg(v), 1)
	}
	b.conds = append(b.conds, frag)
}

func (b *builder) clause() string {
	if len(b.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(b.conds, " AND ")
}

// cursor is a keyset position: the sort field it belongs to, the sort
// value of the last row (as text, exact) and that row's id.
type cursor struct {
	S  string `json:"s,omitempty"`
	V  string `json:"v"`
	ID string `json:"id"`
}

func badCursor() error { return apperr.BadRequest("cursor", "is not a valid cursor") }

func decodeCursor(s, sort string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	var c cursor
	if err := httpx.DecodeCursor(s, &c); err != nil {
		return nil, err
	}
	if c.S != sort || !isUUID(c.ID) || strings.ContainsRune(c.V, 0) {
		return nil, badCursor()
	}
	return &c, nil
}

func encodeCursor(sort, v, id string) string {
	return httpx.EncodeCursor(cursor{S: sort, V: v, ID: id})
}

func limitOf(n int) int {
	if n <= 0 || n > httpx.MaxLimit {
		return httpx.DefaultLimit
	}
	return n
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// keyset adds the seek condition of a keyset page on (col, id) after cur
// (nil on the first page) and returns the ORDER BY … LIMIT tail that fetches
// one row more than limit, so the caller knows whether a next page exists.
// col is created_at (cursor value RFC 3339) or an integer column.
func (b *builder) keyset(col string, desc bool, cur *cursor, limit int) (string, error) {
	dir, op := "ASC", ">"
	if desc {
		dir, op = "DESC", "<"
	}
	if cur != nil {
		var v any
		if col == "created_at" {
			t, err := datetime.ParseTime(cur.V) // a forged cursor is a 400, like any client time
			if err != nil {
				return "", badCursor()
			}
			v = t
		} else {
			n, err := strconv.ParseInt(cur.V, 10, 64)
			if err != nil {
				return "", badCursor()
			}
			v = n
		}
		b.where("("+col+", id) "+op+" (%s, %s)", v, cur.ID)
	}
	return " ORDER BY " + col + " " + dir + ", id " + dir + " LIMIT " + b.arg(limit+1), nil
}

// sortValue is the cursor value of a row sorted by col: its creation time or
// its list price, the two sorts properties and listings share.
func sortValue(col string, createdAt time.Time, listPriceCents int64) string {
	if col == "list_price_cents" {
		return strconv.FormatInt(listPriceCents, 10)
	}
	return createdAt.Format(time.RFC3339Nano)
}
