package domain

import (
	"errors"
	"math"
	"sort"
	"time"
)

// XIRR is the annual rate r at which the dated cash flows' present value
// is zero, Σ cᵢ / (1+r)^(dᵢ−d₀)/365 = 0, with d₀ the earliest date and a
// 365-day year (Excel's XIRR convention).
//
// Solving: flows on one day are netted. One sign change in the dated net
// flows means one root (the rule of signs for exponential sums); it is
// found by Newton's method from 0.1, and when Newton leaves (-1, ∞), stalls
// or exceeds its iterations, by bisection over a bracket found by scanning
// r. More than one sign change may have several roots: the scan looks for
// each sign change of the present value over r in (-0.9999, 100]; one
// root is answered, several are ErrMultipleIRR (never one picked at
// random). Tolerance: |Δr| ≤ 1e-12 (Newton) or a bracket narrower than
// 1e-12 (bisection); caps: 100 Newton and 200 bisection iterations, so
// the solver always ends.
const (
	xirrTolerance      = 1e-12
	xirrNewtonMaxIter  = 100
	xirrBisectMaxIter  = 200
	xirrGuess          = 0.1
	xirrScanPoints     = 400
	xirrScanLowGrowth  = 1e-4 // 1 + r at the scan's low end: r = -0.9999
	xirrScanHighGrowth = 101  // r = 100
)

// Why there is no IRR.
var (
	// ErrIRRNoSignChange: the flows are all of one sign (or zero), so no
	// rate makes their value zero.
	ErrIRRNoSignChange = errors.New("the cash flows are all of one sign: no rate makes their value zero")
	// ErrIRRSameDay: every flow is on one day; a rate needs time.
	ErrIRRSameDay = errors.New("every cash flow is on the same day: a rate needs time between flows")
	// ErrIRRMultiple: the flows change sign more than once and the present
	// value is zero at more than one rate.
	ErrIRRMultiple = errors.New("the cash flows change sign more than once and more than one rate solves them")
	// ErrIRRNoSolution: no rate in (-0.9999, 100] solves the flows.
	ErrIRRNoSolution = errors.New("no rate between -99.99% and 10000% solves the cash flows")
)

// Flow is one dated cash flow in cents: negative paid in, positive received.
type Flow struct {
	On    time.Time
	Cents int64
}

// IRR is a solved rate and how it was found.
type IRR struct {
	Rate       float64
	Method     string // "newton" or "bisection"
	Iterations int
	// Roots lists the rates found when there are several (ErrIRRMultiple).
	Roots []float64
}

type dated struct {
	years float64
	c     float64
}

// XIRR solves flows.
func XIRR(flows []Flow) (IRR, error) {
	net := netByDay(flows)
	if len(net) == 1 {
		return IRR{}, ErrIRRSameDay
	}
	pos, neg := false, false
	for _, f := range net {
		pos = pos || f.c > 0
		neg = neg || f.c < 0
	}
	if !pos || !neg {
		return IRR{}, ErrIRRNoSignChange
	}
	changes := 0
	for i, last := 0, 0.0; i < len(net); i++ {
		if net[i].c == 0 {
			continue
		}
		if last != 0 && (net[i].c > 0) != (last > 0) {
			changes++
		}
		last = net[i].c
	}
	if changes == 1 {
		if r, n, ok := newton(net); ok {
			return IRR{Rate: r, Method: "newton", Iterations: n}, nil
		}
	}
	brackets := scan(net)
	switch {
	case len(brackets) == 0:
		return IRR{}, ErrIRRNoSolution
	case len(brackets) > 1:
		out := IRR{}
		for _, b := range brackets {
			r, _ := bisect(net, b[0], b[1])
			out.Roots = append(out.Roots, r)
		}
		return out, ErrIRRMultiple
	}
	r, n := bisect(net, brackets[0][0], brackets[0][1])
	return IRR{Rate: r, Method: "bisection", Iterations: n}, nil
}

// netByDay sums the flows of each day, in date order, as years from the
// first day and float cents (a rate's computation, never an amount's).
func netByDay(flows []Flow) []dated {
	byDay := map[int64]int64{}
	for _, f := range flows {
		d := f.On.UTC().Truncate(24*time.Hour).Unix() / 86400
		byDay[d] += f.Cents
	}
	days := make([]int64, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	sort.Slice(days, func(i, j int) bool { return days[i] < days[j] })
	out := make([]dated, len(days))
	for i, d := range days {
		out[i] = dated{years: float64(d-days[0]) / 365, c: float64(byDay[d])}
	}
	return out
}

// npv is the flows' present value at r and its derivative.
func npv(net []dated, r float64) (v, dv float64) {
	g := 1 + r
	for _, f := range net {
		x := f.c * math.Pow(g, -f.years)
		v += x
		dv -= f.years * x / g
	}
	return v, dv
}

func newton(net []dated) (float64, int, bool) {
	r := xirrGuess
	for i := 1; i <= xirrNewtonMaxIter; i++ {
		v, dv := npv(net, r)
		if dv == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, i, false
		}
		next := r - v/dv
		if math.IsNaN(next) || next <= -1 {
			return 0, i, false
		}
		if math.Abs(next-r) <= xirrTolerance {
			return next, i, true
		}
		r = next
	}
	return 0, xirrNewtonMaxIter, false
}

// scan returns the brackets [a, b] over which the present value changes
// sign, on a grid even in log(1+r).
func scan(net []dated) [][2]float64 {
	lo, hi := math.Log(xirrScanLowGrowth), math.Log(xirrScanHighGrowth)
	var out [][2]float64
	prevR := math.Exp(lo) - 1
	prev, _ := npv(net, prevR)
	for i := 1; i <= xirrScanPoints; i++ {
		r := math.Exp(lo+(hi-lo)*float64(i)/xirrScanPoints) - 1
		v, _ := npv(net, r)
		switch {
		case v == 0:
			out = append(out, [2]float64{r, r})
		case prev != 0 && (v > 0) != (prev > 0):
			out = append(out, [2]float64{prevR, r})
		}
		prev, prevR = v, r
	}
	return out
}

func bisect(net []dated, a, b float64) (float64, int) {
	va, _ := npv(net, a)
	for i := 1; i <= xirrBisectMaxIter; i++ {
		m := (a + b) / 2
		if b-a <= xirrTolerance {
			return m, i
		}
		vm, _ := npv(net, m)
		if vm == 0 {
			return m, i
		}
		if (vm > 0) == (va > 0) {
			a, va = m, vm
		} else {
			b = m
		}
	}
	return (a + b) / 2, xirrBisectMaxIter
}
