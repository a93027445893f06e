// Command gencsv writes the deterministic property CSV files of the import
// benchmark (scripts/bench/import/run.sh): the same -rows and -seed always
// give the same bytes. One record in -bad-every is invalid, cycling through
// a price that is not a number, an unknown property type, a missing city
// and a row with too few columns, so validation is part of what is measured.
// It uses the standard library only and runs outside the workspace:
//
//	GOWORK=off go run scripts/bench/import/gencsv/main.go -rows 100000 -out f.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
)

var (
	streets  = []string{"Maple", "Oak", "Cedar", "Pine", "Elm", "Birch", "Willow", "Aspen", "Spruce", "Juniper", "Hickory", "Magnolia"}
	suffixes = []string{"Street", "Avenue", "Road", "Lane", "Drive", "Court", "Way", "Place"}
	cities   = []struct{ name, state, zip string }{
		{"Austin", "TX", "787"}, {"Denver", "CO", "802"}, {"Portland", "OR", "972"}, {"Madison", "WI", "537"},
		{"Raleigh", "NC", "276"}, {"Boise", "ID", "837"}, {"Tucson", "AZ", "857"}, {"Omaha", "NE", "681"},
	}
	types    = []string{"Residential", "Residential", "Residential", "ResidentialIncome", "Land", "CommercialSale"}
	statuses = []string{"Active", "Active", "Pending", "Closed", "Coming Soon"}
	remarks  = []string{"", "", "Updated kitchen, new roof 2019.", "Corner lot, walk to schools.", "Needs work; priced to sell.", "Quiet street, large backyard with mature trees."}
)

func main() {
	rows := flag.Int("rows", 100_000, "data records to write")
	seed := flag.Uint64("seed", 20260101, "random seed")
	badEvery := flag.Int("bad-every", 200, "one record in this many is invalid (0: none)")
	out := flag.String("out", "", "output file (required)")
	flag.Parse()
	if *out == "" || *rows < 1 {
		fmt.Fprintln(os.Stderr, "usage: gencsv -rows N [-seed S] [-bad-every K] -out FILE")
		os.Exit(2)
	}
	if err := write(*out, *rows, *seed, *badEvery); err != nil {
		fmt.Fprintln(os.Stderr, "gencsv:", err)
		os.Exit(1)
	}
}

func write(path string, rows int, seed uint64, badEvery int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, uint64(rows)))
	fmt.Fprintln(w, "listing_key,list_price_cents,bedrooms_total,bathrooms_total_integer,living_area,lot_size_acres,"+
		"year_built,property_type,standard_status,unparsed_address,street_number,street_name,city,state_or_province,"+
		"postal_code,latitude,longitude,public_remarks")
	for i := 1; i <= rows; i++ {
		c := cities[rng.IntN(len(cities))]
		number := 1 + rng.IntN(9999)
		street := streets[rng.IntN(len(streets))] + " " + suffixes[rng.IntN(len(suffixes))]
		price := fmt.Sprint(5_000_000 + rng.IntN(200_000_000))
		ptype, city := types[rng.IntN(len(types))], c.name
		remark := remarks[rng.IntN(len(remarks))]
		lat := 25 + rng.Float64()*23
		lon := -122 + rng.Float64()*50
		if badEvery > 0 && i%badEvery == 0 {
			switch (i / badEvery) % 4 {
			case 0:
				price = "call for price"
			case 1:
				ptype = "Castle"
			case 2:
				city = ""
			case 3:
				fmt.Fprintf(w, "BENCH-%08d,%s,%d\n", i, price, 1+rng.IntN(6))
				continue
			}
		}
		fmt.Fprintf(w, "BENCH-%08d,%s,%d,%d,%d,%d.%02d,%d,%s,%s,%d %s,%d,%s,%s,%s,%s%02d,%.6f,%.6f,\"%s\"\n",
			i, price, 1+rng.IntN(6), 1+rng.IntN(4), 600+rng.IntN(4000), rng.IntN(5), rng.IntN(100),
			1900+rng.IntN(125), ptype, statuses[rng.IntN(len(statuses))], number, street, number, street,
			city, c.state, c.zip, rng.IntN(100), lat, lon, remark)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
