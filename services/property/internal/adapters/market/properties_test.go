package market

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"reos.dev/services/property/internal/domain"
)

const orgA, orgB = "01900000-0000-7000-8000-000000000001", "01900000-0000-7000-8000-000000000002"

func TestPropertySetIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := NewPropertySet(7, orgA), NewPropertySet(7, orgA)
	var seq []domain.Property
	for p := range a.Properties(0, 300) {
		seq = append(seq, p)
	}
	for i, p := range seq {
		if !reflect.DeepEqual(p, b.Property(i)) {
			t.Fatalf("row %d differs between two sets of one seed:\n%+v\n%+v", i, p, b.Property(i))
		}
	}
	// A row does not depend on how many rows are made or in what order.
	if !reflect.DeepEqual(a.Property(299), NewPropertySet(7, orgA).Property(299)) {
		t.Fatal("row 299 made alone differs")
	}
	otherSeed, otherOrg := NewPropertySet(8, orgA).Property(5), NewPropertySet(7, orgB).Property(5)
	if otherSeed.ID == seq[5].ID || otherSeed.UnparsedAddress == seq[5].UnparsedAddress && otherSeed.ListPriceCents == seq[5].ListPriceCents {
		t.Fatal("another seed made the same row")
	}
	if otherOrg.ID == seq[5].ID || otherOrg.OrgID != orgB {
		t.Fatalf("another organisation's row 5: %+v", otherOrg)
	}
}

// Every generated row is one the service itself would store: rebuilt as
// create input, domain.NewProperty accepts it and gives it back unchanged.
func TestPropertySetRowsAreValid(t *testing.T) {
	t.Parallel()
	s := NewPropertySet(DefaultSeed, orgA)
	for i := range 3000 {
		p := s.Property(i)
		f := domain.PropertyFields{
			ListingKey: of(p.ListingKey), ListPriceCents: domain.Of(p.ListPriceCents), BedroomsTotal: of(p.BedroomsTotal),
			BathroomsTotalInteger: of(p.BathroomsTotalInteger), LivingArea: of(p.LivingArea), LotSizeAcres: of(p.LotSizeAcres),
			YearBuilt: of(p.YearBuilt), PropertyType: domain.Of(p.PropertyType), PropertySubType: of(p.PropertySubType),
			StandardStatus: domain.Of(p.StandardStatus), UnparsedAddress: domain.Of(p.UnparsedAddress),
			StreetNumber: of(p.StreetNumber), StreetName: of(p.StreetName), UnitNumber: of(p.UnitNumber),
			City: domain.Of(p.City), StateOrProvince: of(p.StateOrProvince), PostalCode: of(p.PostalCode),
			Country: domain.Of(p.Country), Latitude: of(p.Latitude), Longitude: of(p.Longitude), PublicRemarks: of(p.PublicRemarks),
		}
		got, err := domain.NewProperty(p.ID, p.OrgID, f, p.CreatedAt)
		if err != nil {
			t.Fatalf("row %d is invalid: %v\n%+v", i, err, p)
		}
		got.UpdatedAt, got.ArchivedAt = p.UpdatedAt, p.ArchivedAt
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("row %d changes when stored:\n%+v\n%+v", i, p, got)
		}
		if p.UpdatedAt.Before(p.CreatedAt) || p.UpdatedAt.After(GeneratedUntil) {
			t.Fatalf("row %d: updated %s, created %s", i, p.UpdatedAt, p.CreatedAt)
		}
	}
}

func of[T any](p *T) domain.Patch[T] {
	if p == nil {
		return domain.Patch[T]{}
	}
	return domain.Of(*p)
}

// The spread the benchmark relies on: many cities of different sizes, a
// long tail of streets, statuses by age, ids in creation order.
func TestPropertySetSpread(t *testing.T) {
	t.Parallel()
	// Every 25th row of half a million: about three years of listings.
	const n, step = 20_000, 25
	s := NewPropertySet(DefaultSeed, orgA)
	perCity, perStreet, perStatus, perPostal := map[string]int{}, map[string]int{}, map[string]int{}, map[string]bool{}
	newest := map[string]int{}
	known := map[string]GeneratedCity{}
	for _, c := range Cities() {
		known[c.Name] = c
	}
	var prev domain.Property
	for k := range n {
		i := k * step
		p := s.Property(i)
		c, ok := known[p.City]
		if !ok || !slices.Contains(c.PostalCodes, *p.PostalCode) || *p.StateOrProvince != c.State {
			t.Fatalf("row %d: %s %s %s is not a generated market", i, p.City, *p.StateOrProvince, *p.PostalCode)
		}
		perCity[p.City]++
		perPostal[*p.PostalCode] = true
		perStreet[strings.Fields(*p.StreetName)[0]]++
		perStatus[p.StandardStatus]++
		if k < 1000 {
			newest[p.StandardStatus]++
		}
		id := uuid.MustParse(p.ID)
		if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
			t.Fatalf("row %d: id %s is not a UUIDv7", i, p.ID)
		}
		if k > 0 && (!p.CreatedAt.Before(prev.CreatedAt) || p.ID >= prev.ID) {
			t.Fatalf("row %d (%s, %s) is not older than row %d (%s, %s)", i, p.CreatedAt, p.ID, i-step, prev.CreatedAt, prev.ID)
		}
		if p.ListPriceCents <= 0 || p.ListPriceCents > 100_000_000_00 {
			t.Fatalf("row %d: price %d cents", i, p.ListPriceCents)
		}
		prev = p
	}
	last := (n - 1) * step
	if age := GeneratedUntil.Sub(prev.CreatedAt); age < time.Duration(last)*ListingInterval || age > time.Duration(last+1)*ListingInterval {
		t.Errorf("row %d is %s old, want about %d × %s", last, age, last, ListingInterval)
	}
	if len(perCity) < 35 || len(perPostal) < 300 {
		t.Errorf("%d cities and %d postal codes, want at least 35 and 300", len(perCity), len(perPostal))
	}
	sizes := slices.Sorted(maps.Values(perCity))
	if big, small := sizes[len(sizes)-1], sizes[0]; big > n/8 || big < 8*small {
		t.Errorf("city sizes %v: want the largest under 1/8 and at least 8× the smallest", sizes)
	}
	streets := slices.Sorted(maps.Values(perStreet))
	if top := streets[len(streets)-1]; top > n/20 || len(streets) < 150 {
		t.Errorf("%d street names, the commonest on %d rows", len(streets), top)
	}
	// Most rows are history; the newest (about 50 days) are on the market.
	if perStatus["Closed"] < n/2 || newest["Active"] < 500 || newest["Closed"] > 200 || len(perStatus) < 10 {
		t.Errorf("statuses %v, newest 1000 sampled %v", perStatus, newest)
	}
}

func TestCitiesAndStreets(t *testing.T) {
	t.Parallel()
	codes := map[string]string{}
	for _, c := range Cities() {
		if len(c.PostalCodes) < 2 {
			t.Errorf("%s has %d postal codes", c.Name, len(c.PostalCodes))
		}
		for _, z := range c.PostalCodes {
			if other, dup := codes[z]; dup || len(z) != 5 {
				t.Errorf("postal code %q of %s (also %s)", z, c.Name, other)
			}
			codes[z] = c.Name
		}
	}
	p := NewPropertySet(DefaultSeed, orgA).Property(0)
	for _, c := range cities {
		if c.name == p.City && math.Abs(*p.Latitude-c.lat) > 1 {
			t.Errorf("row 0 at latitude %f, %s at %f", *p.Latitude, c.name, c.lat)
		}
	}
	if names := StreetNames(); len(names) < 200 || names[0] != "Main" {
		t.Errorf("street names %v", names[:3])
	}
}
