package domain

import (
	"math/big"
	"testing"
)

func TestFormatRatRoundsOnceHalfAwayFromZero(t *testing.T) {
	t.Parallel()
	cases := []struct {
		num, den int64
		want     string
	}{
		{1, 20, "0.05"},
		{1, 3, "0.333333333"},
		{2, 3, "0.666666667"},
		{-2, 3, "-0.666666667"},
		{1, 2_000_000_000, "0.000000001"}, // exactly half of the last digit: away from zero
		{-1, 2_000_000_000, "-0.000000001"},
		{1, 2_000_000_001, "0"}, // just under half
		{-1, 2_000_000_001, "0"},
		{7, 1, "7"},
		{0, 5, "0"},
		{123_456_789_012, 100, "1234567890.12"},
	}
	for _, c := range cases {
		if got := FormatRat(big.NewRat(c.num, c.den)); got != c.want {
			t.Errorf("FormatRat(%d/%d) = %s, want %s", c.num, c.den, got, c.want)
		}
	}
	if _, ok := Ratio(big.NewInt(1), big.NewInt(0)); ok {
		t.Error("Ratio over zero must not be a rate")
	}
}

func TestSumIsExactAndRefusesOverflow(t *testing.T) {
	t.Parallel()
	// 100,000 entries of 10 cents: a float sum of 0.10 drifts
	// (10000.000000018848); cents do not.
	amounts := make([]int64, 100_000)
	for i := range amounts {
		amounts[i] = 10
	}
	if got, err := Sum(amounts...); err != nil || got != 1_000_000 {
		t.Fatalf("Sum = %d, %v", got, err)
	}
	if _, err := Sum(1<<62, 1<<62); err == nil {
		t.Fatal("an overflowing sum must be refused")
	}
	if _, err := Sum(-(1 << 62), -(1 << 62), -(1 << 62)); err == nil {
		t.Fatal("an underflowing sum must be refused")
	}
}

func TestParseCurrency(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"USD", "EUR", "JPY", "GBP"} {
		if _, err := ParseCurrency("currency", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "usd", "US", "USDX", "ZZZ", "U$D"} {
		if _, err := ParseCurrency("currency", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
