package postgres

import (
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/app"
)

// Lists page by keyset, the shared way (postgres.Keyset): limit+1 rows in
// (sort value, id) order, the next page's cursor the last row's position.
// A list cursor names its sort ("-created_at" …), so one made for another
// sort is a 400 naming cursor, like a forged one.

// sortColumn is the SQL of a whitelisted sort field and the type it
// compares as.
type sortColumn struct {
	expr string
	kind postgres.Kind
}

// listKeyset is the keyset of a list sorted by s on col, ids in idCol.
func listKeyset(s app.Sort, col sortColumn, idCol string) postgres.Keyset {
	return postgres.SortKeyset(s.Field, s.Desc, col.kind, col.expr, idCol)
}

// newestFirst is the keyset of the lists that have no sort parameter
// (contacts, lead imports, deal documents): created_at descending, on
// table's (alias's) columns.
func newestFirst(table string) postgres.Keyset {
	return listKeyset(app.Sort{Field: "created_at", Desc: true},
		sortColumn{table + ".created_at", postgres.Timestamptz}, table+".id")
}

// timelineKeyset is the order of the lead and deal timelines, newest
// first; their SQL is a constant that binds the page's Args.
var timelineKeyset = postgres.Keyset{Sort: "timeline", Kind: postgres.Timestamptz}

// collectPage reads a page query's rows into the app's page.
func collectPage[T any](p postgres.Page, rows pgx.Rows, scan func(pgx.CollectableRow) (T, error),
	key func(T) (any, string)) (app.Page[T], error) {
	items, next, err := postgres.CollectPage(p, rows, scan, key)
	return app.Page[T]{Items: items, Next: next}, err
}

// seek appends the page's keyset condition, order and limit.
func (q *query) seek(p postgres.Page) {
	cond, tail := p.Seek(q.arg)
	if cond != "" {
		q.sb.WriteString(" AND " + cond)
	}
	q.sb.WriteString(tail)
}
