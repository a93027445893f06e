package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"reos.dev/services/property/internal/domain"
)

// Demo data: SeedCount properties generated from SeedNumber, so every run
// on every machine produces the same 50 rows. listing_key "demo-NNNN"
// makes the seed idempotent: keys already present are skipped.
const (
	SeedNumber = 20260101
	SeedCount  = 50
)

// SeedReport says what SeedDemo did.
type SeedReport struct {
	Created, Skipped int
}

type demoCity struct {
	city, state, postal string
	lat, lon            float64
}

var demoCities = []demoCity{
	{"Austin", "TX", "78701", 30.2672, -97.7431},
	{"Denver", "CO", "80202", 39.7392, -104.9903},
	{"Portland", "OR", "97201", 45.5152, -122.6784},
	{"Raleigh", "NC", "27601", 35.7796, -78.6382},
	{"Madison", "WI", "53703", 43.0731, -89.4012},
}

var demoStreets = []string{"Maple Street", "Oak Avenue", "Cedar Lane", "Pine Road", "Elm Court", "Birch Drive", "Willow Way", "Lakeview Terrace"}

var demoRemarks = []string{
	"Sunny corner lot with a renovated kitchen and hardwood floors.",
	"Quiet cul-de-sac, walking distance to schools and parks.",
	"Open floor plan, vaulted ceilings and a large backyard deck.",
	"Investor special: strong rental history, new roof in 2022.",
	"Move-in ready with a finished basement and two-car garage.",
}

var demoTypes = []string{"Residential", "Residential", "Residential", "ResidentialIncome", "ResidentialLease", "Land"}
var demoStatuses = []string{"Active", "Active", "Active", "Coming Soon", "Pending", "Active Under Contract", "Closed"}

// demoProperties generates the seed rows (pure and deterministic).
func demoProperties() []domain.PropertyFields {
	rng := rand.New(rand.NewPCG(SeedNumber, SeedNumber)) // #nosec G404 -- the demo seed must be deterministic
	out := make([]domain.PropertyFields, 0, SeedCount)
	for i := 1; i <= SeedCount; i++ {
		c := demoCities[rng.IntN(len(demoCities))]
		num := fmt.Sprint(100 + rng.IntN(9900))
		street := demoStreets[rng.IntN(len(demoStreets))]
		typ := demoTypes[rng.IntN(len(demoTypes))]
		f := domain.PropertyFields{
			ListingKey:      domain.Of(fmt.Sprintf("demo-%04d", i)),
			PropertyType:    domain.Of(typ),
			StandardStatus:  domain.Of(demoStatuses[rng.IntN(len(demoStatuses))]),
			StreetNumber:    domain.Of(num),
			StreetName:      domain.Of(street),
			City:            domain.Of(c.city),
			StateOrProvince: domain.Of(c.state),
			PostalCode:      domain.Of(c.postal),
			Country:         domain.Of("US"),
			Latitude:        domain.Of(c.lat + float64(rng.IntN(2000)-1000)/10000),
			Longitude:       domain.Of(c.lon + float64(rng.IntN(2000)-1000)/10000),
			PublicRemarks:   domain.Of(demoRemarks[rng.IntN(len(demoRemarks))]),
			LotSizeAcres:    domain.Of(fmt.Sprintf("0.%02d", 10+rng.IntN(80))),
		}
		// Whole thousands of dollars, in cents.
		f.ListPriceCents = domain.Of(int64(150+rng.IntN(1350)) * 1000 * 100)
		if typ != "Land" {
			f.BedroomsTotal = domain.Of(1 + rng.IntN(5))
			f.BathroomsTotalInteger = domain.Of(1 + rng.IntN(3))
			f.LivingArea = domain.Of(int64(700 + rng.IntN(3300)))
			f.YearBuilt = domain.Of(1920 + rng.IntN(104))
		}
		out = append(out, f)
	}
	return out
}

// seedEpoch is the creation time of demo rows (one minute apart), so the
// data is identical wherever it is seeded.
var seedEpoch = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

func (s *service) SeedDemo(ctx context.Context, orgID string) (SeedReport, error) {
	var rep SeedReport
	if _, err := uuid.Parse(orgID); err != nil {
		return rep, fmt.Errorf("seed: org id %q is not a UUID", orgID)
	}
	all := demoProperties()
	keys := make([]string, len(all))
	for i, f := range all {
		keys[i] = *f.ListingKey.Value
	}
	err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		have, err := tx.Properties().ListingKeys(ctx, keys)
		if err != nil {
			return err
		}
		for i, f := range all {
			if have[keys[i]] {
				rep.Skipped++
				continue
			}
			prop, err := domain.NewProperty(newID(), orgID, f, seedEpoch.Add(time.Duration(i)*time.Minute))
			if err != nil {
				return fmt.Errorf("seed row %d: %w", i+1, err)
			}
			if err := createProperty(ctx, tx, prop, ""); err != nil {
				return err
			}
			rep.Created++
		}
		return nil
	})
	if err != nil {
		return SeedReport{}, err
	}
	return rep, nil
}
