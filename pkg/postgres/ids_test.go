package postgres_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
)

// TestIDsAfterPagesInOrder: pages of a uuid list start before every id,
// continue after the last id of the page before and end empty; a failing
// query names the list.
func TestIDsAfterPagesInOrder(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	ctx := testContext(t)
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	want := []string{
		"0190a5d0-0000-7000-8000-000000000001", "0190a5d0-0000-7000-8000-000000000002",
		"0190a5d0-0000-7000-8000-000000000003", "0190a5d0-0000-7000-8000-000000000004",
		"0190a5d0-0000-7000-8000-000000000005",
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE ids (id uuid PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for _, id := range slices.Backward(want) {
		if _, err := conn.Exec(ctx, `INSERT INTO ids VALUES ($1)`, id); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT id::text FROM ids WHERE id > $1::uuid ORDER BY id LIMIT $2`
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatalf("no end after %d pages: %v", pages, got)
		}
		ids, err := postgres.IDsAfter(ctx, conn, "test ids", q, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			break
		}
		got = append(got, ids...)
		after = ids[len(ids)-1]
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages gave %v, want %v", got, want)
	}
	if _, err := postgres.IDsAfter(ctx, conn, "test ids", `SELECT nope FROM ids WHERE $1::uuid IS NULL LIMIT $2`, "", 2); err == nil ||
		!strings.HasPrefix(err.Error(), "test ids: ") {
		t.Fatalf("a failing query: %v, want an error naming the list", err)
	}
	if postgres.IDStart("") != postgres.NilUUID || postgres.IDStart(want[0]) != want[0] {
		t.Fatal("IDStart")
	}
}
