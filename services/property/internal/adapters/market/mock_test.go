package market

import (
	"errors"
	"slices"
	"testing"
	"time"

	"reos.dev/services/property/internal/domain"
)

var jan2026 = domain.MonthOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

func TestMockIsDeterministicPerSeedAndRegion(t *testing.T) {
	t.Parallel()
	a, err := NewMock(7, nil).PriceIndex(t.Context(), "78701", jan2026.Add(-24), jan2026)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewMock(7, nil).PriceIndex(t.Context(), "78701", jan2026.Add(-24), jan2026)
	if len(a.Values) != 25 || a.From != jan2026.Add(-24) || a.Region != "78701" || !slices.Equal(a.Values, b.Values) {
		t.Fatalf("two mocks of one seed differ or the window is wrong: %+v vs %+v", a, b)
	}
	// A sub-window answers the same numbers: the index is a function of
	// (seed, region, month), not of the request.
	c, _ := NewMock(7, nil).PriceIndex(t.Context(), "78701", jan2026.Add(-2), jan2026)
	if !slices.Equal(c.Values, a.Values[22:]) {
		t.Fatalf("sub-window %v, want %v", c.Values, a.Values[22:])
	}
	otherSeed, _ := NewMock(8, nil).PriceIndex(t.Context(), "78701", jan2026.Add(-24), jan2026)
	otherRegion, _ := NewMock(7, nil).PriceIndex(t.Context(), "80202", jan2026.Add(-24), jan2026)
	if slices.Equal(a.Values, otherSeed.Values) || slices.Equal(a.Values, otherRegion.Values) {
		t.Fatal("another seed or region gave the same index")
	}
	for _, v := range a.Values {
		if v < indexFloor || v > 40_000 {
			t.Fatalf("index value %d out of the mock's range", v)
		}
	}
}

func TestMockOutagesAndCalls(t *testing.T) {
	t.Parallel()
	m := NewMock(1, map[string]int{"99999": 2, "down": Always})
	ctx := t.Context()
	for i, want := range []bool{true, true, false, false} {
		_, err := m.PriceIndex(ctx, "99999", jan2026, jan2026)
		if failed := errors.Is(err, ErrOutage); failed != want {
			t.Fatalf("call %d: err %v, want failure %v", i+1, err, want)
		}
	}
	for range 3 {
		if _, err := m.PriceIndex(ctx, "down", jan2026, jan2026); !errors.Is(err, ErrOutage) {
			t.Fatalf("always-down region answered: %v", err)
		}
	}
	m.SetOutage("down", 0)
	if _, err := m.PriceIndex(ctx, "down", jan2026, jan2026); err != nil {
		t.Fatalf("cleared outage still fails: %v", err)
	}
	calls := m.Calls()
	if len(calls) != 8 || calls[0] != (Call{Region: "99999", From: jan2026, To: jan2026, Failed: true}) || calls[7].Failed {
		t.Fatalf("calls %+v", calls)
	}
	if _, err := m.PriceIndex(ctx, "x", jan2026, jan2026.Add(-1)); err == nil {
		t.Error("a window ending before it starts was answered")
	}
}

func TestParseOutages(t *testing.T) {
	t.Parallel()
	got, err := ParseOutages(" 99999:3, 12345 ,,")
	if err != nil || len(got) != 2 || got["99999"] != 3 || got["12345"] != Always {
		t.Fatalf("ParseOutages = %v, %v", got, err)
	}
	for _, bad := range []string{":3", "a:0", "a:x", "a:-1"} {
		if _, err := ParseOutages(bad); err == nil {
			t.Errorf("ParseOutages(%q) accepted", bad)
		}
	}
}
