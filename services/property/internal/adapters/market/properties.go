package market

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"iter"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"reos.dev/services/property/internal/domain"
)

// PropertySet is the mock provider's listing feed for one organisation:
// property i is a function of (seed, organisation, i) alone, so the same
// seed yields the same rows on every machine, any prefix of a longer set
// equals the shorter set, and rows can be made in any order or in
// parallel. It feeds the search and list benchmark
// (cmd/property-benchdata) with a realistic spread: cities of very
// different sizes with their own postal codes, price levels and
// coordinates, street names that recur with a long tail, RESO statuses
// that follow a listing's age, sub-types, rooms, areas and remarks.
type PropertySet struct {
	seed  uint64
	org   uint64
	orgID string
}

// NewPropertySet returns the set of orgID for seed.
func NewPropertySet(seed uint64, orgID string) PropertySet {
	h := fnv.New64a()
	_, _ = h.Write([]byte(orgID))
	return PropertySet{seed: seed, org: h.Sum64(), orgID: orgID}
}

// GeneratedUntil is when the newest generated listing was created: row i
// was created i × ListingInterval (plus up to one interval of jitter)
// before it, so a million rows span about 5.7 years.
var GeneratedUntil = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// ListingInterval is the mean time between two generated listings (480 a
// day, the volume of a large regional MLS).
const ListingInterval = 3 * time.Minute

// Properties yields rows from through to-1.
func (s PropertySet) Properties(from, to int) iter.Seq[domain.Property] {
	return func(yield func(domain.Property) bool) {
		for i := from; i < to; i++ {
			if !yield(s.Property(i)) {
				return
			}
		}
	}
}

// Property returns row i (0 is the newest listing).
func (s PropertySet) Property(i int) domain.Property {
	// #nosec G404 G115 -- deterministic mock market data: the same seed must give the same rows; i is a row index (≥ 0)
	rng := rand.New(rand.NewPCG(s.seed, s.org^uint64(i)*0x9e3779b97f4a7c15))
	created := GeneratedUntil.Add(-time.Duration(i)*ListingInterval - time.Duration(rng.Int64N(int64(ListingInterval))))
	city := cities[pickCity.draw(rng)]
	zip := city.postal[city.pick.draw(rng)]
	typ := propertyTypes.pick(rng)
	sub := subTypes[typ].pick(rng)
	age := GeneratedUntil.Sub(created)

	p := domain.Property{
		ID:              generatedID(created, rng),
		OrgID:           s.orgID,
		ListingKey:      ptr(fmt.Sprintf("GEN%08d", i+1)),
		PropertyType:    typ,
		PropertySubType: ptr(sub),
		StandardStatus:  statusFor(age, rng),
		City:            city.name,
		StateOrProvince: ptr(city.state),
		PostalCode:      ptr(zip.code),
		Country:         "US",
		CreatedAt:       created,
		UpdatedAt:       created,
	}
	// Street: a long-tailed name (Zipf), in suburbs often compounded
	// ("Cedar Hollow"), sometimes a direction, a suffix.
	name := streetNames[pickStreet.draw(rng)]
	if rng.IntN(100) < 40 && !strings.ContainsAny(name[:1], "0123456789") {
		name += " " + compounds[rng.IntN(len(compounds))]
	}
	if rng.IntN(100) < 12 {
		name = directions[rng.IntN(len(directions))] + " " + name
	}
	street := name + " " + streetSuffixes.pick(rng)
	number := fmt.Sprint(houseNumber(rng))
	p.StreetNumber, p.StreetName = ptr(number), ptr(street)
	p.UnparsedAddress = number + " " + street
	if sub == "Condominium" || sub == "Apartment" || (sub == "Townhouse" && rng.IntN(2) == 0) {
		unit := fmt.Sprint(100*(1+rng.IntN(12)) + 1 + rng.IntN(24))
		p.UnitNumber = ptr(unit)
		p.UnparsedAddress += " Unit " + unit
	}
	lat := zip.lat + rng.NormFloat64()*city.spread/4
	lon := zip.lon + rng.NormFloat64()*city.spread/4
	p.Latitude, p.Longitude = ptr(round6(lat)), ptr(round6(lon))

	rooms(&p, typ, sub, rng)
	p.ListPriceCents = price(p, typ, city, rng)
	if y := yearBuilt(typ, rng); y != 0 {
		p.YearBuilt = ptr(y)
	}
	if rng.IntN(100) >= 8 {
		p.PublicRemarks = ptr(remarks(p, city, rng))
	}
	// A listing that left the market was last touched when it did.
	if p.StandardStatus != "Active" && p.StandardStatus != "Coming Soon" {
		days := min(int(age.Hours()/24), 10+rng.IntN(170))
		p.UpdatedAt = created.AddDate(0, 0, days)
	}
	if p.StandardStatus == "Delete" || rng.IntN(200) == 0 {
		at := p.UpdatedAt
		p.ArchivedAt = &at
	}
	return p
}

// generatedID is a UUIDv7 of the creation time with seeded random bits, so
// ids sort like creation times, as the service's own ids do.
func generatedID(t time.Time, rng *rand.Rand) string {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	binary.BigEndian.PutUint64(u[8:], rng.Uint64())
	binary.BigEndian.PutUint64(u[0:], ms<<16|rng.Uint64()&0xffff)
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // RFC 9562 variant
	return u.String()
}

func ptr[T any](v T) *T { return &v }

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// houseNumber: mostly 3–4 digits, some 1–2 and 5.
func houseNumber(rng *rand.Rand) int {
	switch d := rng.IntN(100); {
	case d < 10:
		return 1 + rng.IntN(99)
	case d < 45:
		return 100 + rng.IntN(900)
	case d < 92:
		return 1000 + rng.IntN(9000)
	default:
		return 10000 + rng.IntN(20000)
	}
}

// statusFor follows a listing's life: new ones are mostly on the market,
// a few months later under contract or pending, old ones closed, expired,
// withdrawn or canceled (as in any MLS, most rows are history).
func statusFor(age time.Duration, rng *rand.Rand) string {
	switch days := age.Hours() / 24; {
	case days < 21:
		return statusNew.pick(rng)
	case days < 120:
		return statusRecent.pick(rng)
	default:
		return statusOld.pick(rng)
	}
}

var (
	statusNew = newWeighted(map[string]int{"Active": 75, "Coming Soon": 10, "Active Under Contract": 6, "Pending": 5,
		"Withdrawn": 2, "Hold": 1, "Incomplete": 1})
	statusRecent = newWeighted(map[string]int{"Active": 45, "Pending": 18, "Active Under Contract": 14, "Closed": 10,
		"Withdrawn": 4, "Expired": 3, "Canceled": 3, "Hold": 2, "Coming Soon": 1})
	statusOld = newWeighted(map[string]int{"Closed": 72, "Expired": 11, "Canceled": 7, "Withdrawn": 6, "Active": 1,
		"Pending": 1, "Hold": 1, "Delete": 1})
	propertyTypes = newWeighted(map[string]int{"Residential": 70, "ResidentialLease": 10, "ResidentialIncome": 6,
		"Land": 6, "CommercialSale": 3, "CommercialLease": 2, "Farm": 1, "BusinessOpportunity": 1, "ManufacturedInPark": 1})
	subTypes = map[string]weighted[string]{
		"Residential":         newWeighted(map[string]int{"SingleFamilyResidence": 72, "Condominium": 14, "Townhouse": 12, "Cabin": 2}),
		"ResidentialLease":    newWeighted(map[string]int{"Apartment": 45, "SingleFamilyResidence": 35, "Condominium": 12, "Townhouse": 8}),
		"ResidentialIncome":   newWeighted(map[string]int{"Duplex": 60, "Triplex": 20, "Quadruplex": 20}),
		"Land":                newWeighted(map[string]int{"UnimprovedLand": 100}),
		"CommercialSale":      newWeighted(map[string]int{"Office": 40, "Retail": 35, "Warehouse": 25}),
		"CommercialLease":     newWeighted(map[string]int{"Office": 50, "Retail": 50}),
		"Farm":                newWeighted(map[string]int{"Farm": 70, "Ranch": 30}),
		"BusinessOpportunity": newWeighted(map[string]int{"Business": 100}),
		"ManufacturedInPark":  newWeighted(map[string]int{"ManufacturedHome": 100}),
	}
	streetSuffixes = newWeighted(map[string]int{"Street": 20, "Drive": 16, "Avenue": 14, "Lane": 12, "Road": 10,
		"Court": 8, "Way": 7, "Place": 4, "Boulevard": 3, "Circle": 3, "Trail": 3, "Terrace": 2, "Parkway": 1, "Cove": 1, "Loop": 1})
	directions = []string{"N", "S", "E", "W"}
)

// rooms sets bedrooms, bathrooms, living area and lot size by type.
func rooms(p *domain.Property, typ, sub string, rng *rand.Rand) {
	switch typ {
	case "Land", "Farm":
		acres := 0.25 + math.Exp(rng.NormFloat64()*1.1)*3
		if typ == "Farm" {
			acres *= 15
		}
		p.LotSizeAcres = ptr(fmt.Sprintf("%.2f", acres))
		if typ == "Farm" {
			p.BedroomsTotal, p.BathroomsTotalInteger = ptr(2+rng.IntN(4)), ptr(1+rng.IntN(3))
			p.LivingArea = ptr(int64(1200 + rng.IntN(2800)))
		}
		return
	case "CommercialSale", "CommercialLease", "BusinessOpportunity":
		p.LivingArea = ptr(int64(800 + rng.IntN(40)*500))
		p.LotSizeAcres = ptr(fmt.Sprintf("%.2f", 0.1+rng.Float64()*3))
		return
	}
	beds := bedrooms.pick(rng)
	if sub == "Condominium" || sub == "Apartment" {
		beds = min(beds, 1+rng.IntN(3))
	}
	if typ == "ResidentialIncome" {
		beds = 2 * (2 + rng.IntN(4))
	}
	baths := max(1, beds-1+rng.IntN(2))
	area := int64(float64(450+beds*420) * (0.75 + rng.Float64()*0.6))
	p.BedroomsTotal, p.BathroomsTotalInteger, p.LivingArea = ptr(beds), ptr(baths), ptr(area)
	if sub == "SingleFamilyResidence" || sub == "Cabin" || typ == "ResidentialIncome" {
		p.LotSizeAcres = ptr(fmt.Sprintf("%.2f", 0.08+math.Exp(rng.NormFloat64()*0.7)*0.15))
	}
}

var bedrooms = newWeighted(map[int]int{1: 5, 2: 18, 3: 40, 4: 27, 5: 8, 6: 2})

// price: area × the city's price per square foot × a log-normal spread,
// in whole thousands of dollars (leases: monthly rent in fives).
func price(p domain.Property, typ string, c city, rng *rand.Rand) int64 {
	spread := math.Exp(rng.NormFloat64() * 0.28)
	area := 0.0
	if p.LivingArea != nil {
		area = float64(*p.LivingArea)
	}
	switch typ {
	case "ResidentialLease", "CommercialLease":
		rent := area * float64(c.ppsf) / 160 * spread
		return max(500, int64(math.Round(rent/5))*5) * 100
	case "Land":
		acres := 1.0
		if p.LotSizeAcres != nil {
			_, _ = fmt.Sscan(*p.LotSizeAcres, &acres)
		}
		return max(10, int64(acres*float64(c.ppsf)*120*spread/1000)) * 1000 * 100
	case "BusinessOpportunity":
		return int64(50+rng.IntN(950)) * 1000 * 100
	}
	if typ == "Farm" {
		acres := 40.0
		if p.LotSizeAcres != nil {
			_, _ = fmt.Sscan(*p.LotSizeAcres, &acres)
		}
		area += acres * 100
	}
	return max(40, int64(area*float64(c.ppsf)*spread/1000)) * 1000 * 100
}

func yearBuilt(typ string, rng *rand.Rand) int {
	if typ == "Land" || typ == "BusinessOpportunity" {
		return 0
	}
	// Skewed to recent decades, as the housing stock is.
	return 2025 - int(math.Min(124, math.Abs(rng.NormFloat64())*35))
}

// remarks writes two to five sentences of listing prose.
func remarks(p domain.Property, c city, rng *rand.Rand) string {
	var b strings.Builder
	kind := strings.ToLower(map[string]string{"SingleFamilyResidence": "home", "Condominium": "condo", "Townhouse": "townhome",
		"Apartment": "apartment", "Duplex": "duplex", "Triplex": "triplex", "Quadruplex": "fourplex", "Cabin": "cabin",
		"UnimprovedLand": "lot", "Office": "office building", "Retail": "retail space", "Warehouse": "warehouse",
		"Farm": "farm", "Ranch": "ranch", "Business": "business", "ManufacturedHome": "manufactured home"}[*p.PropertySubType])
	opener := openers[rng.IntN(len(openers))]
	opener = strings.ReplaceAll(opener, "{adj}", adjectives[rng.IntN(len(adjectives))])
	opener = strings.ReplaceAll(opener, "{kind}", kind)
	opener = strings.ReplaceAll(opener, "{city}", c.name)
	b.WriteString(strings.ToUpper(opener[:1]) + opener[1:])
	n := 1 + rng.IntN(4)
	used := map[int]bool{}
	for range n {
		k := rng.IntN(len(features))
		if used[k] {
			continue
		}
		used[k] = true
		b.WriteString(" ")
		b.WriteString(features[k])
	}
	return b.String()
}

var openers = []string{
	"Welcome home to this {adj} {kind} in {city}.",
	"{adj} {kind} on a quiet street.",
	"Rare opportunity: a {adj} {kind} close to downtown {city}.",
	"Light-filled {kind} with a {adj} layout.",
	"Move-in ready {kind} in one of {city}'s most sought-after neighborhoods.",
	"Priced to sell: {adj} {kind} with great bones.",
	"Beautifully kept {kind}, {adj} inside and out.",
}

var adjectives = []string{"charming", "spacious", "updated", "stunning", "cozy", "modern", "classic", "bright",
	"renovated", "well-maintained", "private", "elegant"}

var features = []string{
	"Updated kitchen with quartz counters and stainless appliances.",
	"Hardwood floors throughout the main level.",
	"Primary suite with a walk-in closet and double vanity.",
	"Large fenced backyard with mature oak trees.",
	"Walk to the park, schools and shops.",
	"Lake views from the back deck.",
	"New roof and HVAC in the last five years.",
	"Two-car garage with a workshop.",
	"Open floor plan with vaulted ceilings.",
	"Finished basement with a media room.",
	"Covered patio, perfect for entertaining.",
	"Energy-efficient windows and solar panels.",
	"Minutes from the highway and the airport.",
	"Community pool, tennis courts and trails.",
	"Corner lot with a circular driveway.",
	"Fresh paint and new carpet in the bedrooms.",
	"Granite counters, gas range and a breakfast bar.",
	"Backs onto a greenbelt with creek access.",
	"Investor special: strong rental history.",
	"Needs some TLC; sold as is.",
	"Home office with built-in shelves.",
	"Sunny garden with raised beds and a maple tree.",
	"Low HOA dues and no city taxes.",
	"Walk-in pantry and a laundry room with sink.",
	"Zoned for top-rated schools.",
	"Gated community with a clubhouse.",
	"Views of the hills from the primary bedroom.",
	"Wood-burning fireplace in the living room.",
}

// Street names: rank r is drawn with weight 1/(r+15), so Main and Oak are
// on about 2 % of addresses, Sequoia and Kingfisher on 0.2 %.
var streetNames = []string{
	"Main", "Oak", "Maple", "Park", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill",
	"Walnut", "Spring", "Lincoln", "Jefferson", "Church", "Willow", "Sunset", "Jackson", "Highland", "Ridge",
	"Meadow", "River", "Forest", "Valley", "Franklin", "Madison", "Chestnut", "Cherry", "Dogwood", "Magnolia",
	"Hickory", "Birch", "Aspen", "Spruce", "Sycamore", "Poplar", "Cypress", "Juniper", "Laurel", "Holly",
	"Adams", "Monroe", "Hamilton", "Grant", "Roosevelt", "Wilson", "Kennedy", "Harrison", "Taylor", "Polk",
	"Cleveland", "Garfield", "McKinley", "Truman", "Houston", "Austin", "Bowie", "Crockett", "Travis", "King",
	"Creek", "Canyon", "Summit", "Prairie", "Brook", "Bay", "Harbor", "Grove", "Glen", "Stone",
	"Mill", "Bridge", "School", "Market", "Center", "Broad", "High", "Front", "Water", "Union",
	"Commerce", "Railroad", "Peach", "Orchard", "Vineyard", "Cardinal", "Bluebird", "Robin", "Sparrow", "Hawk",
	"Eagle", "Falcon", "Heron", "Mockingbird", "Oriole", "Quail", "Dove", "Wren", "Raven", "Kingfisher",
	"Windsor", "Oxford", "Cambridge", "Hampton", "Lexington", "Concord", "Princeton", "Richmond", "Arlington", "Berkshire",
	"Devonshire", "Kensington", "Wellington", "Sheffield", "Brighton", "Chelsea", "Somerset", "Dover", "Essex", "Bristol",
	"Stratford", "Ashford", "Fairview", "Riverside", "Lakeview", "Mountain View", "Pleasant", "Greenbriar", "Briarwood", "Foxglove",
	"Primrose", "Lavender", "Rosewood", "Ivy", "Sage", "Heather", "Silver", "Golden", "Crystal", "Copper",
	"Granite", "Marble", "Quarry", "Timber", "Saddle", "Ranch", "Meadowlark", "Bluebonnet", "Sandstone", "Limestone",
	"Old Mill", "Indian Trail", "Deer Run", "Fox Run", "Bear Creek", "Wolf Creek", "Eagle Ridge", "Pebble Beach", "Mulberry", "Pecan",
	"Mesquite", "Alder", "Ash", "Beech", "Cottonwood", "Hemlock", "Locust", "Palmetto", "Live Oak", "Redwood",
	"Sequoia", "Linden", "Hawthorn", "Tyler", "Pierce", "Hayes", "Carter", "Lee", "Jordan", "Monterey",
	"Santa Fe", "Sierra", "Vista", "Alamo", "Rio Grande", "Pueblo", "Mission", "Sonoma", "Napa", "Catalina",
	"1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th",
	"11th", "12th", "13th", "14th", "15th", "16th", "17th", "18th", "19th", "20th",
}

// compounds make subdivision street names of a base name.
var compounds = []string{"Hollow", "Ridge", "Creek", "Valley", "Park", "Hill", "Crossing", "Bend", "Point", "Springs",
	"Meadow", "Glen", "Grove", "Woods", "Field", "Brook", "Run", "Haven", "Heights", "Landing"}

// StreetNames returns the street name vocabulary, most common first.
func StreetNames() []string { return append([]string(nil), streetNames...) }

var pickStreet = func() cumulative {
	w := make([]int, len(streetNames))
	for r := range w {
		w[r] = 1_000_000 / (r + 15)
	}
	return newCumulative(w)
}()

// city is one market: its postal codes (each with a centroid), spread in
// degrees and price per square foot in dollars.
type city struct {
	name, state string
	lat, lon    float64
	weight      int // share of the listings
	ppsf        int
	zipPrefix   string
	spread      float64
	postal      []postalCode
	pick        cumulative
}

type postalCode struct {
	code     string
	lat, lon float64
}

// The markets: real cities with their coordinates and postal prefixes;
// sizes and prices in proportion, not exact.
var cities = buildCities([]city{
	{name: "Houston", state: "TX", lat: 29.7604, lon: -95.3698, weight: 80, ppsf: 180, zipPrefix: "770"},
	{name: "Phoenix", state: "AZ", lat: 33.4484, lon: -112.0740, weight: 80, ppsf: 280, zipPrefix: "850"},
	{name: "Dallas", state: "TX", lat: 32.7767, lon: -96.7970, weight: 70, ppsf: 210, zipPrefix: "752"},
	{name: "Austin", state: "TX", lat: 30.2672, lon: -97.7431, weight: 60, ppsf: 330, zipPrefix: "787"},
	{name: "San Antonio", state: "TX", lat: 29.4241, lon: -98.4936, weight: 60, ppsf: 170, zipPrefix: "782"},
	{name: "Atlanta", state: "GA", lat: 33.7490, lon: -84.3880, weight: 50, ppsf: 260, zipPrefix: "303"},
	{name: "Denver", state: "CO", lat: 39.7392, lon: -104.9903, weight: 45, ppsf: 380, zipPrefix: "802"},
	{name: "Charlotte", state: "NC", lat: 35.2271, lon: -80.8431, weight: 45, ppsf: 240, zipPrefix: "282"},
	{name: "Miami", state: "FL", lat: 25.7617, lon: -80.1918, weight: 40, ppsf: 450, zipPrefix: "331"},
	{name: "Fort Worth", state: "TX", lat: 32.7555, lon: -97.3308, weight: 40, ppsf: 190, zipPrefix: "761"},
	{name: "Nashville", state: "TN", lat: 36.1627, lon: -86.7816, weight: 40, ppsf: 300, zipPrefix: "372"},
	{name: "Portland", state: "OR", lat: 45.5152, lon: -122.6784, weight: 35, ppsf: 360, zipPrefix: "972"},
	{name: "Orlando", state: "FL", lat: 28.5383, lon: -81.3792, weight: 35, ppsf: 250, zipPrefix: "328"},
	{name: "Jacksonville", state: "FL", lat: 30.3322, lon: -81.6557, weight: 35, ppsf: 200, zipPrefix: "322"},
	{name: "Raleigh", state: "NC", lat: 35.7796, lon: -78.6382, weight: 30, ppsf: 250, zipPrefix: "276"},
	{name: "Tampa", state: "FL", lat: 27.9506, lon: -82.4572, weight: 30, ppsf: 270, zipPrefix: "336"},
	{name: "Tucson", state: "AZ", lat: 32.2226, lon: -110.9747, weight: 30, ppsf: 220, zipPrefix: "857"},
	{name: "Colorado Springs", state: "CO", lat: 38.8339, lon: -104.8214, weight: 25, ppsf: 250, zipPrefix: "809"},
	{name: "Mesa", state: "AZ", lat: 33.4152, lon: -111.8315, weight: 25, ppsf: 260, zipPrefix: "852"},
	{name: "Memphis", state: "TN", lat: 35.1495, lon: -90.0490, weight: 25, ppsf: 120, zipPrefix: "381"},
	{name: "Milwaukee", state: "WI", lat: 43.0389, lon: -87.9065, weight: 25, ppsf: 160, zipPrefix: "532"},
	{name: "Aurora", state: "CO", lat: 39.7294, lon: -104.8319, weight: 20, ppsf: 300, zipPrefix: "800"},
	{name: "Durham", state: "NC", lat: 35.9940, lon: -78.8986, weight: 15, ppsf: 260, zipPrefix: "277"},
	{name: "Madison", state: "WI", lat: 43.0731, lon: -89.4012, weight: 15, ppsf: 230, zipPrefix: "537"},
	{name: "Boise", state: "ID", lat: 43.6150, lon: -116.2023, weight: 15, ppsf: 290, zipPrefix: "837"},
	{name: "Round Rock", state: "TX", lat: 30.5083, lon: -97.6789, weight: 12, ppsf: 260, zipPrefix: "786"},
	{name: "Scottsdale", state: "AZ", lat: 33.4942, lon: -111.9261, weight: 12, ppsf: 450, zipPrefix: "852"},
	{name: "Knoxville", state: "TN", lat: 35.9606, lon: -83.9207, weight: 12, ppsf: 210, zipPrefix: "379"},
	{name: "Cary", state: "NC", lat: 35.7915, lon: -78.7811, weight: 10, ppsf: 280, zipPrefix: "275"},
	{name: "Eugene", state: "OR", lat: 44.0521, lon: -123.0868, weight: 10, ppsf: 290, zipPrefix: "974"},
	{name: "Cedar Park", state: "TX", lat: 30.5052, lon: -97.8203, weight: 9, ppsf: 270, zipPrefix: "786"},
	{name: "Georgetown", state: "TX", lat: 30.6333, lon: -97.6780, weight: 8, ppsf: 250, zipPrefix: "786"},
	{name: "Boulder", state: "CO", lat: 40.0150, lon: -105.2705, weight: 8, ppsf: 600, zipPrefix: "803"},
	{name: "Beaverton", state: "OR", lat: 45.4871, lon: -122.8037, weight: 8, ppsf: 320, zipPrefix: "970"},
	{name: "Savannah", state: "GA", lat: 32.0809, lon: -81.0912, weight: 8, ppsf: 230, zipPrefix: "314"},
	{name: "Pflugerville", state: "TX", lat: 30.4394, lon: -97.6200, weight: 7, ppsf: 230, zipPrefix: "786"},
	{name: "San Marcos", state: "TX", lat: 29.8833, lon: -97.9414, weight: 5, ppsf: 210, zipPrefix: "786"},
})

var pickCity = func() cumulative {
	w := make([]int, len(cities))
	for i, c := range cities {
		w[i] = c.weight
	}
	return newCumulative(w)
}()

// buildCities gives each city 2 + weight/3 postal codes, numbered on from
// its prefix (cities sharing a prefix get distinct codes) with centroids
// placed by a fixed generator, larger cities spread wider.
func buildCities(in []city) []city {
	next := map[string]int{}
	rng := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- a fixed, reproducible shuffle of mock cities
	for i := range in {
		c := &in[i]
		c.spread = 0.04 + float64(c.weight)/600
		n := 2 + c.weight/3
		w := make([]int, n)
		for k := range n {
			next[c.zipPrefix]++
			angle, dist := rng.Float64()*2*math.Pi, math.Sqrt(rng.Float64())*c.spread
			c.postal = append(c.postal, postalCode{
				code: fmt.Sprintf("%s%02d", c.zipPrefix, next[c.zipPrefix]),
				lat:  c.lat + dist*math.Sin(angle),
				lon:  c.lon + dist*math.Cos(angle)/math.Cos(c.lat*math.Pi/180),
			})
			w[k] = 100 / (k + 3) // a few busy codes and a tail of quiet ones
		}
		c.pick = newCumulative(w)
	}
	return in
}

// GeneratedCity is a market of the generated data.
type GeneratedCity struct {
	Name, State string
	PostalCodes []string
}

// Cities returns the generated markets, largest first.
func Cities() []GeneratedCity {
	out := make([]GeneratedCity, len(cities))
	for i, c := range cities {
		out[i] = GeneratedCity{Name: c.name, State: c.state}
		for _, z := range c.postal {
			out[i].PostalCodes = append(out[i].PostalCodes, z.code)
		}
	}
	return out
}

// cumulative draws an index with probability proportional to its weight.
type cumulative struct{ cum []int }

func newCumulative(weights []int) cumulative {
	c := cumulative{cum: make([]int, len(weights))}
	total := 0
	for i, w := range weights {
		total += w
		c.cum[i] = total
	}
	return c
}

func (c cumulative) draw(rng *rand.Rand) int {
	x := rng.IntN(c.cum[len(c.cum)-1])
	lo, hi := 0, len(c.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if c.cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// weighted draws a value with probability proportional to its weight. Its
// values are sorted, so map iteration order never changes the draw.
type weighted[T cmp.Ordered] struct {
	values []T
	c      cumulative
}

func newWeighted[T cmp.Ordered](m map[T]int) weighted[T] {
	values := slices.Sorted(maps.Keys(m))
	w := make([]int, len(values))
	for i, v := range values {
		w[i] = m[v]
	}
	return weighted[T]{values: values, c: newCumulative(w)}
}

func (w weighted[T]) pick(rng *rand.Rand) T { return w.values[w.c.draw(rng)] }
