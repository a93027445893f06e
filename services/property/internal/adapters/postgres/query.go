package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/property/internal/app"
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

// Lists page by keyset, the shared way (postgres.Keyset): limit+1 rows in
// (sort value, id) order, the next page's cursor the last row's position.
// A cursor names its list's order ("-created_at", "history" …), so one made
// for another order is a 400 naming cursor, like a forged one.

// sortColumns maps the whitelisted sort fields of properties and listings
// to their columns and types.
var sortColumns = map[string]struct {
	col  string
	kind postgres.Kind
}{
	app.SortCreatedAt: {"created_at", postgres.Timestamptz},
	app.SortListPrice: {"list_price_cents", postgres.Bigint},
}

// listKeyset is the keyset of a property or listing list sorted by field.
func listKeyset(field string, desc bool) (postgres.Keyset, error) {
	c, ok := sortColumns[field]
	if !ok {
		return postgres.Keyset{}, fmt.Errorf("unknown sort %q", field)
	}
	return postgres.SortKeyset(field, desc, c.kind, c.col, "id"), nil
}

// sortValue is the cursor value of a row in k's order: its creation time or
// its list price, the two sorts properties and listings share.
func sortValue(k postgres.Keyset, createdAt time.Time, listPriceCents int64) any {
	if k.Expr == sortColumns[app.SortListPrice].col {
		return listPriceCents
	}
	return createdAt
}

// seek adds the page's keyset condition and returns the ORDER BY … LIMIT
// tail that reads one row more than the page.
func (b *builder) seek(p postgres.Page) string {
	cond, tail := p.Seek(b.arg)
	if cond != "" {
		b.conds = append(b.conds, cond)
	}
	return tail
}

// collectPage reads a page query's rows into the app's page.
func collectPage[T any](p postgres.Page, rows pgx.Rows, scan func(pgx.CollectableRow) (T, error),
	key func(T) (any, string)) (app.Page[T], error) {
	items, next, err := postgres.CollectPage(p, rows, scan, key)
	return app.Page[T]{Items: items, Next: next}, err
}

// The import repository's List still reads its cursor with these; it
// moves to postgres.Keyset with the bulk-import rework in flight, and
// they go with it. They keep its cursors in the shared wire form.

type cursor struct{ V, ID string }

func decodeCursor(s, sort string) (*cursor, error) {
	p, err := postgres.Keyset{Sort: sort, Kind: postgres.Text}.Decode(s)
	if p == nil || err != nil {
		return nil, err
	}
	return &cursor{V: p.Value.(string), ID: p.ID}, nil
}

func encodeCursor(sort, v, id string) string { return postgres.EncodeCursor(sort, v, id) }

func badCursor() error { return postgres.BadCursor() }

func limitOf(n int) int { return postgres.PageLimit(n) }
