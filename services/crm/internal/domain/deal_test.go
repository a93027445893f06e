package domain

import (
	"fmt"
	"testing"
	"time"
)

func TestDiffDeal(t *testing.T) {
	t.Parallel()
	date, prop, other := "2026-06-30", "01900000-0000-7000-8000-000000000001", "01900000-0000-7000-8000-000000000002"
	base := Deal{ID: "d", LeadID: "l", Title: "Purchase", ValueCents: 100, Currency: "USD", StageID: "s", PropertyID: &prop,
		CreatedAt: time.Unix(1, 0), UpdatedAt: time.Unix(1, 0)}
	for _, tc := range []struct {
		name   string
		change func(d *Deal)
		want   []string // field: old → new
	}{
		{"nothing", func(*Deal) {}, nil},
		{"equal values behind other pointers", func(d *Deal) { p := prop; d.PropertyID = &p }, nil},
		{"bookkeeping is not a change", func(d *Deal) {
			d.StageID, d.UpdatedAt, d.ClosedAt = "t", time.Unix(2, 0), &d.UpdatedAt
		}, nil},
		{"two fields in a fixed order", func(d *Deal) { d.ValueCents, d.Title = 9_007_199_254_740_993, "Condo" }, []string{
			`title: "Purchase" → "Condo"`, `value_cents: 100 → 9007199254740993`,
		}},
		{"set and cleared", func(d *Deal) { d.ExpectedCloseDate, d.PropertyID = &date, nil }, []string{
			`property_id: "` + prop + `" → null`, `expected_close_date: null → "2026-06-30"`,
		}},
		{"every field", func(d *Deal) {
			d.Title, d.ValueCents, d.Currency, d.PropertyID, d.AssigneeID, d.ExpectedCloseDate = "T", 0, "EUR", &other, &other, &date
		}, []string{
			`title: "Purchase" → "T"`, `value_cents: 100 → 0`, `currency: "USD" → "EUR"`, `property_id: "` + prop + `" → "` + other + `"`,
			`assignee_id: null → "` + other + `"`, `expected_close_date: null → "2026-06-30"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			next := base
			tc.change(&next)
			var got []string
			for _, c := range DiffDeal(base, next) {
				got = append(got, fmt.Sprintf("%s: %s → %s", c.Field, c.Old, c.New))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("DiffDeal = %q, want %q", got, tc.want)
			}
		})
	}
}
