package postgres

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/datetime"
)

// Keyset pagination, the one way every list pages: a page is read as
// limit+1 rows in (sort value, id) order, the extra row only says that a
// next page exists, and the next page's cursor is the last kept row's sort
// value and id, encoded opaque. It lives here, not in pkg/httpx, because
// everything in it is the data layer's: the cursor holds a row's sort key,
// its value must reach PostgreSQL as the sort column's type, and the seek is
// SQL. The transport only carries the cursor as an opaque string.
//
// A cursor only ever seeks within rows the caller may already see (the
// query keeps its tenancy and visibility), so it needs no signature. It is
// still read strictly — its order, its id and its value, times through
// pkg/datetime — so a forged or stale one is a 400 naming cursor, never a
// cast error in SQL and a 500.

// Page size bounds of every list: the transport's (pkg/httpx.ParsePage)
// and the repositories' are these.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
	// MaxCursorLen bounds a cursor's text; a real one is far shorter.
	MaxCursorLen = 1024
)

// Kind is the SQL type a keyset's sort value is compared as; it says how a
// cursor's value is read back and which Go type it is sent as.
type Kind int

// The sort value kinds, each with the Go type a decoded value has.
const (
	Timestamptz Kind = iota + 1 // time.Time, RFC 3339 in the range of pkg/datetime
	Bigint                      // int64
	Integer                     // int32: an int column, so an out-of-range value is a bad cursor, not a 500
	Double                      // float64, finite
	Text                        // string without NUL, which PostgreSQL's text refuses
)

// Keyset is one order a list pages in.
type Keyset struct {
	// Sort names the order in the cursor ("-created_at", "history"): a
	// cursor made for another order is refused, as its value would not be
	// this order's.
	Sort string
	// Kind is the sort value's type.
	Kind Kind
	// Expr and IDExpr are the SQL of the sort value and the id; fixed text,
	// never input. Only Seek uses them: a list whose SQL is a constant
	// binds Args instead.
	Expr, IDExpr string
	// Desc is the direction of Seek's order.
	Desc bool
}

// SortKeyset is the keyset of a list sorted by a whitelisted field
// (descending when desc) whose SQL is expr, ids idExpr. Its cursors name
// the sort as the API does, "field" or "-field".
func SortKeyset(field string, desc bool, kind Kind, expr, idExpr string) Keyset {
	sort := field
	if desc {
		sort = "-" + field
	}
	return Keyset{Sort: sort, Kind: kind, Expr: expr, IDExpr: idExpr, Desc: desc}
}

// Position is the row a page starts after: its sort value (of the Go type
// of the keyset's Kind) and its id.
type Position struct {
	Value any
	ID    string
}

// Page is one page request of a keyset: where it starts (After is nil on
// the first page) and how many rows it holds. Its query reads Limit+1 rows.
type Page struct {
	Keyset Keyset
	After  *Position
	Limit  int
}

// PageLimit is the page size of a request: n when it is within bounds,
// else the default (an in-process caller that names none).
func PageLimit(n int) int {
	if n <= 0 || n > MaxPageLimit {
		return DefaultPageLimit
	}
	return n
}

// cursor is the wire form: the order, the sort value as exact text, the id.
type cursor struct {
	S  string `json:"s"`
	V  string `json:"v"`
	ID string `json:"id"`
}

// EncodeCursor is the opaque cursor of the row with sort value text v and
// id in order sort. Lists use Keyset.Encode; this is the wire form, for
// tests that forge a cursor.
func EncodeCursor(sort, v, id string) string {
	b, err := json.Marshal(cursor{S: sort, V: v, ID: id})
	if err != nil {
		panic("postgres: cursor is not JSON-encodable: " + err.Error()) // strings always are
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// BadCursor is the error of a cursor that cannot be read: a 400 naming
// cursor.
func BadCursor() error { return apperr.BadRequest("cursor", "is not a valid cursor") }

// Page reads the request of a page of k: the cursor ("" for the first
// page) and the page size (bounded by PageLimit).
func (k Keyset) Page(cursorText string, limit int) (Page, error) {
	after, err := k.Decode(cursorText)
	if err != nil {
		return Page{}, err
	}
	return Page{Keyset: k, After: after, Limit: PageLimit(limit)}, nil
}

// Decode reads a cursor made by Encode for this keyset; "" is the first
// page (nil).
func (k Keyset) Decode(s string) (*Position, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxCursorLen {
		return nil, BadCursor()
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, BadCursor()
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, BadCursor()
	}
	// The canonical hyphenated form only: uuid.Parse also takes forms
	// (urn:uuid:…) that PostgreSQL refuses.
	if c.S != k.Sort || len(c.ID) != 36 {
		return nil, BadCursor()
	}
	if _, err := uuid.Parse(c.ID); err != nil {
		return nil, BadCursor()
	}
	v, err := k.Kind.parse(c.V)
	if err != nil {
		return nil, BadCursor()
	}
	return &Position{Value: v, ID: c.ID}, nil
}

func (k Kind) parse(s string) (any, error) {
	switch k {
	case Timestamptz:
		return datetime.ParseTime(s)
	case Bigint:
		return strconv.ParseInt(s, 10, 64)
	case Integer:
		n, err := strconv.ParseInt(s, 10, 32)
		return int32(n), err
	case Double:
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = strconv.ErrSyntax
		}
		return f, err
	case Text:
		if strings.ContainsRune(s, 0) {
			return nil, strconv.ErrSyntax
		}
		return s, nil
	}
	return nil, fmt.Errorf("postgres: unknown keyset kind %d", k)
}

// Encode is the cursor of the row with sort value v and id. v is of the
// keyset's Kind (any Go integer type for the integer kinds); another type
// is a programming error and panics.
func (k Keyset) Encode(v any, id string) string {
	var s string
	ok := false
	switch k.Kind {
	case Timestamptz:
		var t time.Time
		if t, ok = v.(time.Time); ok {
			s = t.UTC().Format(time.RFC3339Nano)
		}
	case Bigint, Integer:
		var n int64
		if n, ok = asInt(v); ok {
			s = strconv.FormatInt(n, 10)
		}
	case Double:
		var f float64
		if f, ok = v.(float64); ok {
			s = strconv.FormatFloat(f, 'g', -1, 64)
		}
	case Text:
		s, ok = v.(string)
	}
	if !ok {
		panic(fmt.Sprintf("postgres: keyset %q of kind %d given a %T", k.Sort, k.Kind, v))
	}
	return EncodeCursor(k.Sort, s, id)
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// Args are the page's parameters for a constant query: the sort value and
// the id after which it starts (both nil on the first page, so the query
// reads `($2::timestamptz IS NULL OR (col, id) < ($2, $3::uuid))`), and the
// number of rows to read, Limit+1.
func (p Page) Args() (value, id any, fetch int) {
	if p.After != nil {
		value, id = p.After.Value, p.After.ID
	}
	return value, id, p.Limit + 1
}

// Seek returns the page's seek condition, `(Expr, IDExpr) > ($n, $m::uuid)`
// (< when descending; "" on the first page), and the `ORDER BY … LIMIT $k`
// tail that reads Limit+1 rows, for a query built from fixed fragments.
// arg binds a value and returns its placeholder, in the order called.
func (p Page) Seek(arg func(any) string) (cond, tail string) {
	k := p.Keyset
	cmp, dir := ">", "ASC"
	if k.Desc {
		cmp, dir = "<", "DESC"
	}
	if p.After != nil {
		cond = "(" + k.Expr + ", " + k.IDExpr + ") " + cmp + " (" + arg(p.After.Value) + ", " + arg(p.After.ID) + "::uuid)"
	}
	tail = " ORDER BY " + k.Expr + " " + dir + ", " + k.IDExpr + " " + dir + " LIMIT " + arg(p.Limit+1)
	return cond, tail
}

// Cut makes the page of the Limit+1 rows read: the first Limit rows and,
// when there were more, the cursor of the last one; key gives a row's sort
// value and id.
func Cut[T any](p Page, rows []T, key func(T) (value any, id string)) ([]T, string) {
	if len(rows) <= p.Limit {
		return rows, ""
	}
	rows = rows[:p.Limit]
	v, id := key(rows[p.Limit-1])
	return rows, p.Keyset.Encode(v, id)
}

// CollectPage reads the rows of a page query with scan and cuts them (Cut).
// The error is pgx's, for the caller to wrap.
func CollectPage[T any](p Page, rows pgx.Rows, scan func(pgx.CollectableRow) (T, error),
	key func(T) (value any, id string)) ([]T, string, error) {
	items, err := pgx.CollectRows(rows, pgx.RowToFunc[T](scan))
	if err != nil {
		return nil, "", err
	}
	items, next := Cut(p, items, key)
	return items, next, nil
}
