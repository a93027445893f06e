// Package market holds property's market data providers (ARCHITECTURE rule
// 8; the port is app.MarketData). Mock is the MODE=mock provider: seeded
// and deterministic, it records every call and simulates outages.
package market

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"

	"reos.dev/services/property/internal/app"
	"reos.dev/services/property/internal/domain"
)

// DefaultSeed is MARKET_DATA_SEED's default.
const DefaultSeed uint64 = 20260101

// ErrOutage is the mock's simulated provider failure.
var ErrOutage = errors.New("market data provider unavailable (simulated outage)")

// maxMonths bounds one request (a century); a longer one is a caller bug.
const maxMonths = 1200

// maxCalls bounds the recorded calls of a long-running process.
const maxCalls = 10_000

// Mock is a deterministic market data provider. A region's index follows
// a straight trend whose slope and monthly wiggle come from FNV-1a hashes of
// the seed, the region and the month: the same seed answers the same
// numbers on every machine, for every region, forever.
type Mock struct {
	seed uint64

	mu      sync.Mutex
	outages map[string]int // region -> failures left; Always: until cleared
	calls   []Call
}

var _ app.MarketData = (*Mock)(nil)

// Always is an outage that lasts until SetOutage(region, 0).
const Always = -1

// Call is one recorded request.
type Call struct {
	Region   string
	From, To domain.Month
	Failed   bool
}

// NewMock returns the mock for seed with the given outages (region ->
// number of calls that fail, or Always).
func NewMock(seed uint64, outages map[string]int) *Mock {
	m := &Mock{seed: seed, outages: map[string]int{}}
	for region, n := range outages {
		m.SetOutage(region, n)
	}
	return m
}

// SetOutage makes the next failures calls for region fail (Always: every
// call until SetOutage(region, 0)).
func (m *Mock) SetOutage(region string, failures int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if failures == 0 {
		delete(m.outages, region)
		return
	}
	m.outages[region] = failures
}

// Calls returns the recorded calls, oldest first (the last maxCalls).
func (m *Mock) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Call(nil), m.calls...)
}

// PriceIndex answers region's index for every month from from through to.
func (m *Mock) PriceIndex(ctx context.Context, region string, from, to domain.Month) (domain.PriceIndex, error) {
	if err := ctx.Err(); err != nil {
		return domain.PriceIndex{}, err
	}
	if to < from || to-from >= maxMonths {
		return domain.PriceIndex{}, fmt.Errorf("market data: months %s to %s: want at most %d months, oldest first", from, to, maxMonths)
	}
	failed := m.record(region, from, to)
	if failed {
		return domain.PriceIndex{}, fmt.Errorf("region %q: %w", region, ErrOutage)
	}
	out := domain.PriceIndex{Region: region, From: from, Values: make([]int64, 0, to-from+1)}
	for month := from; month <= to; month++ {
		out.Values = append(out.Values, m.index(region, month))
	}
	return out, nil
}

// record notes the call and reports whether an outage fails it.
func (m *Mock) record(region string, from, to domain.Month) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	failed := false
	if n, ok := m.outages[region]; ok {
		failed = true
		switch {
		case n == 1:
			delete(m.outages, region)
		case n > 1:
			m.outages[region] = n - 1
		}
	}
	if len(m.calls) == maxCalls {
		m.calls = append(m.calls[:0], m.calls[1:]...)
	}
	m.calls = append(m.calls, Call{Region: region, From: from, To: to, Failed: failed})
	return failed
}

// Index base and shape: 10 000 in January 2000, a slope of −10 to +50
// points a month (about −1 % to +6 % a year at the base) and a wiggle of
// ±20 points; never below 1 000.
const (
	indexBase     = 10_000
	indexFloor    = 1_000
	slopeMin      = -10
	slopeSpan     = 61
	wiggleSpan    = 41
	baseYearMonth = 2000 * 12
)

func (m *Mock) index(region string, month domain.Month) int64 {
	slope := int64(m.hash(region, "slope")%slopeSpan) + slopeMin
	wiggle := int64(m.hash(region, strconv.Itoa(int(month)))%wiggleSpan) - wiggleSpan/2
	return max(indexFloor, indexBase+slope*int64(int(month)-baseYearMonth)+wiggle)
}

func (m *Mock) hash(parts ...string) uint64 {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%d", m.seed)
	for _, p := range parts {
		_, _ = h.Write([]byte{0})
		_, _ = h.Write([]byte(p))
	}
	return h.Sum64()
}

// ParseOutages reads MARKET_DATA_OUTAGES: comma-separated regions, each
// optionally ":n" for an outage of its next n calls (without: always).
// "99999:3,12345" fails region 99999's next three calls and every call
// for 12345.
func ParseOutages(s string) (map[string]int, error) {
	out := map[string]int{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		region, count, hasCount := strings.Cut(part, ":")
		region = strings.TrimSpace(region)
		if region == "" {
			return nil, fmt.Errorf("%q: empty region", part)
		}
		n := Always
		if hasCount {
			v, err := strconv.Atoi(strings.TrimSpace(count))
			if err != nil || v < 1 {
				return nil, fmt.Errorf("%q: the count after ':' must be a positive integer", part)
			}
			n = v
		}
		out[region] = n
	}
	return out, nil
}
