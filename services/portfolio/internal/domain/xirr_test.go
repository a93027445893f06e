package domain

import (
	"errors"
	"math"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestXIRRPublishedCases checks the solver against published results and
// cases whose answer is known in closed form (two flows: (b/a)^(365/days)−1,
// computed here with math.Pow, not with the solver).
func TestXIRRPublishedCases(t *testing.T) {
	t.Parallel()
	twoFlow := func(a, b float64, days float64) string {
		return FormatFloatRate(math.Pow(b/a, 365/days) - 1)
	}
	cases := []struct {
		name  string
		flows []Flow
		want  string
	}{
		{"doubling in a 365-day year", []Flow{{day("2021-01-01"), -100_000}, {day("2022-01-01"), 200_000}}, "1"},
		{"doubling over a 366-day (leap) year is not 100 %", []Flow{{day("2020-01-01"), -100_000}, {day("2021-01-01"), 200_000}},
			twoFlow(100_000, 200_000, 366)},
		{"break-even", []Flow{{day("2021-01-01"), -100_000}, {day("2022-01-01"), 100_000}}, "0"},
		{"minus 99 %", []Flow{{day("2021-01-01"), -100_000}, {day("2022-01-01"), 1_000}}, "-0.99"},
		{"flows given out of order", []Flow{{day("2022-01-01"), 200_000}, {day("2021-01-01"), -100_000}}, "1"},
		{"same-day flows are netted", []Flow{{day("2021-01-01"), -60_000}, {day("2021-01-01"), -40_000}, {day("2022-01-01"), 150_000}},
			twoFlow(100_000, 150_000, 365)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := XIRR(c.flows)
			if err != nil {
				t.Fatalf("XIRR: %v", err)
			}
			if s := FormatFloatRate(got.Rate); s != c.want {
				t.Errorf("XIRR = %s (%v by %s in %d), want %s", s, got.Rate, got.Method, got.Iterations, c.want)
			}
		})
	}
	if s := twoFlow(100_000, 200_000, 366); s == "1" {
		t.Fatalf("the leap-year case must differ from the 365-day one, got %s", s)
	}
}

// TestXIRRMicrosoftExample: Microsoft's documented XIRR example answers
// 0.373362535. Excel iterates to a tolerance of 0.000001 % (1e-8), and its
// ninth digit is off by one: the exact root is 0.37336253352 (present
// value 2e-13 there, −8.6e-6 at Excel's figure), which rounds to
// 0.373362534. The solver must agree with Excel within Excel's own
// tolerance, and its own answer must be the root.
func TestXIRRMicrosoftExample(t *testing.T) {
	t.Parallel()
	flows := []Flow{{day("2008-01-01"), -10_000}, {day("2008-03-01"), 2_750}, {day("2008-10-30"), 4_250},
		{day("2009-02-15"), 3_250}, {day("2009-04-01"), 2_750}}
	got, err := XIRR(flows)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(got.Rate - 0.373362535); d > 1e-8 {
		t.Errorf("XIRR = %v, %g from Microsoft's 0.373362535", got.Rate, d)
	}
	if v, _ := npv(netByDay(flows), got.Rate); math.Abs(v) > 1e-9 {
		t.Errorf("present value at %v is %g, not zero", got.Rate, v)
	}
	if s := FormatFloatRate(got.Rate); s != "0.373362534" {
		t.Errorf("formatted %s", s)
	}
}

func TestXIRRNoSolution(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		flows []Flow
		want  error
	}{
		{"all paid in", []Flow{{day("2021-01-01"), -100}, {day("2022-01-01"), -100}}, ErrIRRNoSignChange},
		{"all received", []Flow{{day("2021-01-01"), 100}, {day("2022-01-01"), 100}}, ErrIRRNoSignChange},
		{"no flows", nil, ErrIRRNoSignChange},
		{"every flow on one day", []Flow{{day("2021-01-01"), -100}, {day("2021-01-01"), 150}, {day("2021-01-01"), 10}}, ErrIRRSameDay},
		{"netted to zero", []Flow{{day("2021-01-01"), -100}, {day("2022-01-01"), 100}, {day("2022-01-01"), -100}}, ErrIRRNoSignChange},
		// −100, +230, −132 at yearly steps: (1+r) = 1.1 and 1.2 both
		// solve it (−100 + 230x − 132x² = 0 for x = 1/1.1, 1/1.2).
		{"two rates solve it", []Flow{{day("2021-01-01"), -100_000}, {day("2022-01-01"), 230_000}, {day("2023-01-01"), -132_000}}, ErrIRRMultiple},
		// −100, +100, −100: the value is negative at every rate.
		{"sign changes without a root", []Flow{{day("2021-01-01"), -100_000}, {day("2022-01-01"), 100_000}, {day("2023-01-01"), -100_000}}, ErrIRRNoSolution},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := XIRR(c.flows)
			if !errors.Is(err, c.want) {
				t.Fatalf("XIRR = %+v, %v; want %v", got, err, c.want)
			}
		})
	}
}

// TestXIRRMultipleRootsAreListed: when two rates solve the flows both are
// reported (they are 10 % and 20 % for −100, +230, −132 in 365-day years).
func TestXIRRMultipleRootsAreListed(t *testing.T) {
	t.Parallel()
	got, err := XIRR([]Flow{{day("2021-01-01"), -100_000}, {day("2022-01-01"), 230_000}, {day("2023-01-01"), -132_000}})
	if !errors.Is(err, ErrIRRMultiple) || len(got.Roots) != 2 {
		t.Fatalf("XIRR = %+v, %v", got, err)
	}
	for i, want := range []string{"0.1", "0.2"} {
		if s := FormatFloatRate(got.Roots[i]); s != want {
			t.Errorf("root %d = %s, want %s", i, s, want)
		}
	}
}

// TestXIRRNewtonFallsBackToBisection: from its guess of 10 %, Newton's
// first step on a −99.9 % loss leaves (-1, ∞); bisection answers.
func TestXIRRNewtonFallsBackToBisection(t *testing.T) {
	t.Parallel()
	got, err := XIRR([]Flow{{day("2021-01-01"), -1_000_000}, {day("2022-01-01"), 1_000}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != "bisection" || FormatFloatRate(got.Rate) != "-0.999" {
		t.Fatalf("XIRR = %+v (%s)", got, FormatFloatRate(got.Rate))
	}
}
