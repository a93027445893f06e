package postgres_test

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/httpx"
	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
)

// keysetRow is one row of the paged test table.
type keysetRow struct {
	ID    string
	At    time.Time
	N     int32
	Score float64
	Name  string
}

// keysetRows are rows whose sort values tie in pairs, so that only the id
// can order them, and whose ids are in no relation to the sort values.
func keysetRows(n int) []keysetRow {
	base := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	rows := make([]keysetRow, n)
	for i := range rows {
		v := i / 2
		rows[i] = keysetRow{
			ID:    uuid.NewString(),
			At:    base.Add(time.Duration(v) * time.Minute),
			N:     int32(v - 3),
			Score: float64(v) / 3,
			Name:  "name-" + strconv.Itoa(v),
		}
	}
	return rows
}

// TestKeysetPagesEveryRowOnceInOrder pages a real table through each kind
// and direction, in pages of 3: the rows come back each exactly once, in
// (value, id) order worked out here in Go, and each page after the first
// starts from the cursor the previous page's Cut made (the round trip).
func TestKeysetPagesEveryRowOnceInOrder(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	pool := db.Pool(t, "")
	ctx := testContext(t)
	if _, err := pool.Exec(ctx, `CREATE TABLE items (id uuid PRIMARY KEY, at timestamptz NOT NULL, n integer NOT NULL,
		score double precision NOT NULL, name text COLLATE "C" NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	rows := keysetRows(11)
	for _, r := range rows {
		if _, err := pool.Exec(ctx, `INSERT INTO items VALUES ($1, $2, $3, $4, $5)`, r.ID, r.At, r.N, r.Score, r.Name); err != nil {
			t.Fatal(err)
		}
	}
	columns := []struct {
		kind  postgres.Kind
		expr  string
		value func(keysetRow) any
	}{
		{postgres.Timestamptz, "at", func(r keysetRow) any { return r.At }},
		{postgres.Integer, "n", func(r keysetRow) any { return r.N }},
		{postgres.Bigint, "n::bigint", func(r keysetRow) any { return int64(r.N) }},
		{postgres.Double, "score", func(r keysetRow) any { return r.Score }},
		{postgres.Text, "name", func(r keysetRow) any { return r.Name }},
	}
	scan := func(row pgx.CollectableRow) (keysetRow, error) {
		var r keysetRow
		err := row.Scan(&r.ID, &r.At, &r.N, &r.Score, &r.Name)
		return r, err
	}
	for _, c := range columns {
		for _, desc := range []bool{false, true} {
			k := postgres.Keyset{Sort: fmt.Sprintf("%s-%t", c.expr, desc), Kind: c.kind, Expr: c.expr, IDExpr: "id", Desc: desc}
			t.Run(k.Sort, func(t *testing.T) {
				t.Parallel()
				got := pageAll(t, k, 3, len(rows), func(p postgres.Page) ([]keysetRow, string, error) {
					var args []any
					cond, tail := p.Seek(func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) })
					if cond == "" {
						cond = "true"
					}
					q, err := pool.Query(ctx, "SELECT id::text, at, n, score, name FROM items WHERE "+cond+tail, args...)
					if err != nil {
						return nil, "", err
					}
					return postgres.CollectPage(p, q, scan, func(r keysetRow) (any, string) { return c.value(r), r.ID })
				})
				expectOrder(t, got, rows, c.value, desc)
			})
		}
	}

	// A list whose SQL is a constant binds Args: the same round trip.
	t.Run("constant query", func(t *testing.T) {
		t.Parallel()
		k := postgres.Keyset{Sort: "history", Kind: postgres.Timestamptz}
		const q = `SELECT id::text, at, n, score, name FROM items WHERE ($1::timestamptz IS NULL OR (at, id) < ($1, $2::uuid))
ORDER BY at DESC, id DESC LIMIT $3`
		got := pageAll(t, k, 4, len(rows), func(p postgres.Page) ([]keysetRow, string, error) {
			at, id, fetch := p.Args()
			if fetch != 5 {
				t.Fatalf("reads %d rows for a page of 4", fetch)
			}
			r, err := pool.Query(ctx, q, at, id, fetch)
			if err != nil {
				return nil, "", err
			}
			return postgres.CollectPage(p, r, scan, func(r keysetRow) (any, string) { return r.At, r.ID })
		})
		expectOrder(t, got, rows, func(r keysetRow) any { return r.At }, true)
	})
}

// pageAll reads every page of k, limit rows each, with read (one page's
// query), each page after the first from the cursor of the one before,
// and returns the rows in the order served.
func pageAll(t *testing.T, k postgres.Keyset, limit, total int,
	read func(postgres.Page) ([]keysetRow, string, error)) []keysetRow {
	t.Helper()
	var got []keysetRow
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > total {
			t.Fatal("paging does not end")
		}
		p, err := k.Page(cursor, limit)
		if err != nil {
			t.Fatalf("page %d: cursor %q: %v", pages, cursor, err)
		}
		items, next, err := read(p)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if len(items) > limit {
			t.Fatalf("page %d has %d rows, limit %d", pages, len(items), limit)
		}
		got = append(got, items...)
		if next == "" {
			return got
		}
		cursor = next
	}
}

// expectOrder checks that got is rows, each once, in (value, id) order.
func expectOrder(t *testing.T, got, rows []keysetRow, value func(keysetRow) any, desc bool) {
	t.Helper()
	want := slices.Clone(rows)
	slices.SortFunc(want, func(a, b keysetRow) int {
		o := cmpValues(value(a), value(b))
		if o == 0 {
			o = strings.Compare(a.ID, b.ID)
		}
		if desc {
			o = -o
		}
		return o
	})
	if len(got) != len(want) {
		t.Fatalf("paged %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("row %d is %s, want %s (%v)", i, got[i].ID, want[i].ID, value(want[i]))
		}
	}
}

func cmpValues(a, b any) int {
	switch a := a.(type) {
	case time.Time:
		return a.Compare(b.(time.Time))
	case int32:
		return cmp.Compare(a, b.(int32))
	case int64:
		return cmp.Compare(a, b.(int64))
	case float64:
		return cmp.Compare(a, b.(float64))
	case string:
		return strings.Compare(a, b.(string))
	}
	panic(fmt.Sprintf("no order for %T", a))
}

// TestKeysetRefusesForgedCursors: a cursor is client input; whatever is
// wrong with it, it is a 400 naming cursor, never an error PostgreSQL
// would raise as a 500.
func TestKeysetRefusesForgedCursors(t *testing.T) {
	t.Parallel()
	id := uuid.NewString()
	raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	times := postgres.Keyset{Sort: "-created_at", Kind: postgres.Timestamptz}
	ints := postgres.Keyset{Sort: "position", Kind: postgres.Integer}
	bigints := postgres.Keyset{Sort: "value_cents", Kind: postgres.Bigint}
	doubles := postgres.Keyset{Sort: "score", Kind: postgres.Double}
	texts := postgres.Keyset{Sort: "name", Kind: postgres.Text}
	tests := []struct {
		name   string
		k      postgres.Keyset
		cursor string
	}{
		{"not base64", times, "!!not-base64"},
		{"not JSON", times, raw("{")},
		{"JSON of another shape", times, raw(`{"s":1}`)},
		{"too long", texts, postgres.EncodeCursor("name", strings.Repeat("a", postgres.MaxCursorLen), id)},
		{"another order", times, postgres.EncodeCursor("created_at", "2026-01-01T00:00:00Z", id)},
		{"no order", times, raw(`{"v":"2026-01-01T00:00:00Z","id":"` + id + `"}`)},
		{"no id", times, postgres.EncodeCursor("-created_at", "2026-01-01T00:00:00Z", "")},
		{"id not a uuid", times, postgres.EncodeCursor("-created_at", "2026-01-01T00:00:00Z", "42")},
		{"id as a urn", times, postgres.EncodeCursor("-created_at", "2026-01-01T00:00:00Z", "urn:uuid:"+id)},
		{"id without hyphens", times, postgres.EncodeCursor("-created_at", "2026-01-01T00:00:00Z", strings.ReplaceAll(id, "-", ""))},
		{"time of year 0", times, postgres.EncodeCursor("-created_at", "0000-01-01T00:00:00Z", id)},
		{"time before pkg/datetime's range", times, postgres.EncodeCursor("-created_at", "0999-12-31T23:59:59Z", id)},
		{"time offset past +15:59", times, postgres.EncodeCursor("-created_at", "2026-01-01T00:00:00+16:00", id)},
		{"time in a lenient form", times, postgres.EncodeCursor("-created_at", "2026-01-01T0:00:00Z", id)},
		{"no time", times, postgres.EncodeCursor("-created_at", "", id)},
		{"integer not a number", ints, postgres.EncodeCursor("position", "1e3", id)},
		{"integer past int4", ints, postgres.EncodeCursor("position", "2147483648", id)},
		{"bigint past int8", bigints, postgres.EncodeCursor("value_cents", "9223372036854775808", id)},
		{"double NaN", doubles, postgres.EncodeCursor("score", "NaN", id)},
		{"double infinite", doubles, postgres.EncodeCursor("score", "+Inf", id)},
		{"text with NUL", texts, postgres.EncodeCursor("name", "a\x00b", id)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.k.Page(tt.cursor, 10)
			if err == nil {
				t.Fatalf("cursor %q accepted", tt.cursor)
			}
			p := httpx.ProblemFor(err)
			if p.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "cursor" {
				t.Fatalf("problem %+v, want a 400 naming cursor", p)
			}
		})
	}
}

// TestKeysetCursorRoundTrip: what Encode writes for each kind, Decode reads
// back as the value the query binds, of the kind's Go type.
func TestKeysetCursorRoundTrip(t *testing.T) {
	t.Parallel()
	id := uuid.NewString()
	at := time.Date(2026, 5, 17, 9, 30, 0, 123456000, time.FixedZone("", 2*3600))
	tests := []struct {
		kind      postgres.Kind
		in, value any
	}{
		{postgres.Timestamptz, at, at.UTC()},
		{postgres.Bigint, int64(-1), int64(-1)},
		{postgres.Bigint, 1 << 40, int64(1 << 40)},
		{postgres.Integer, 7, int32(7)},
		{postgres.Integer, int32(-2147483648), int32(-2147483648)},
		{postgres.Double, 0.1 + 0.2, 0.1 + 0.2},
		{postgres.Text, "Zoë \"quoted\"", "Zoë \"quoted\""},
		{postgres.Text, "", ""},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			k := postgres.Keyset{Sort: "s", Kind: tt.kind, Desc: desc}
			t.Run(fmt.Sprintf("%T %v desc=%t", tt.in, tt.in, desc), func(t *testing.T) {
				t.Parallel()
				pos, err := k.Decode(k.Encode(tt.in, id))
				if err != nil {
					t.Fatal(err)
				}
				if pos.ID != id {
					t.Errorf("id %q, want %q", pos.ID, id)
				}
				if v, ok := pos.Value.(time.Time); ok {
					if !v.Equal(tt.value.(time.Time)) {
						t.Errorf("value %v, want %v", v, tt.value)
					}
				} else if pos.Value != tt.value {
					t.Errorf("value %#v, want %#v", pos.Value, tt.value)
				}
			})
		}
	}
}

func TestKeysetEncodePanicsOnAValueOfAnotherKind(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("a string encoded as a time")
		}
	}()
	postgres.Keyset{Sort: "s", Kind: postgres.Timestamptz}.Encode("2026-01-01T00:00:00Z", uuid.NewString())
}

// TestKeysetPageBoundsAndCut: a page reads Limit+1 rows; a full read is cut
// with the last kept row's cursor, a short one has none.
func TestKeysetPageBoundsAndCut(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want int }{
		{0, postgres.DefaultPageLimit}, {-1, postgres.DefaultPageLimit}, {1, 1},
		{postgres.MaxPageLimit, postgres.MaxPageLimit}, {postgres.MaxPageLimit + 1, postgres.DefaultPageLimit},
	} {
		if got := postgres.PageLimit(tt.in); got != tt.want {
			t.Errorf("PageLimit(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if httpx.DefaultLimit != postgres.DefaultPageLimit || httpx.MaxLimit != postgres.MaxPageLimit {
		t.Errorf("httpx bounds %d/%d differ from the repositories' %d/%d",
			httpx.DefaultLimit, httpx.MaxLimit, postgres.DefaultPageLimit, postgres.MaxPageLimit)
	}

	if k := postgres.SortKeyset("score", true, postgres.Integer, "s", "i"); k != (postgres.Keyset{Sort: "-score", Kind: postgres.Integer, Expr: "s", IDExpr: "i", Desc: true}) {
		t.Errorf("SortKeyset descending = %+v", k)
	}
	if k := postgres.SortKeyset("score", false, postgres.Integer, "s", "i"); k.Sort != "score" || k.Desc {
		t.Errorf("SortKeyset ascending = %+v", k)
	}

	k := postgres.Keyset{Sort: "position", Kind: postgres.Integer, Expr: "position", IDExpr: "id"}
	p, err := k.Page("", 2)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	key := func(i int) (any, string) { return i, ids[i] }
	items, next := postgres.Cut(p, []int{0, 1, 2}, key)
	if !slices.Equal(items, []int{0, 1}) || next != k.Encode(1, ids[1]) {
		t.Fatalf("Cut of 3 rows at 2 = %v, %q", items, next)
	}
	if items, next := postgres.Cut(p, []int{0, 1}, key); len(items) != 2 || next != "" {
		t.Fatalf("Cut of a last page = %v, %q", items, next)
	}
	// The seek follows the direction: > ascending, < descending.
	after, err := k.Page(next, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, desc := range []bool{false, true} {
		after.Keyset.Desc = desc
		var args []any
		cond, tail := after.Seek(func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) })
		op, dir := ">", "ASC"
		if desc {
			op, dir = "<", "DESC"
		}
		if cond != "(position, id) "+op+" ($1, $2::uuid)" || tail != " ORDER BY position "+dir+", id "+dir+" LIMIT $3" {
			t.Errorf("desc=%t: seek %q %q", desc, cond, tail)
		}
		if !slices.Equal(args, []any{int32(1), ids[1], 3}) {
			t.Errorf("desc=%t: args %v", desc, args)
		}
	}
}
