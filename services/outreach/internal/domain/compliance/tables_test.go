package compliance

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawRows reads a data file the simple way (lines, commas), apart from
// the loader, so the checks below do not trust the code they check.
func rawRows(t *testing.T, name string, fields int) [][]string {
	t.Helper()
	var rows [][]string
	header := true
	for i, line := range strings.Split(string(readData(name)), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if header {
			header = false
			continue
		}
		r := strings.Split(line, ",")
		if len(r) != fields {
			t.Fatalf("%s line %d: %d fields, want %d: %q", name, i+1, len(r), fields, line)
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no rows", name)
	}
	return rows
}

// TestTablesData: every zone of every table is an IANA zone, every row's
// region exists and every region is used, a row's own zones narrow its
// region's (never add to them), ZIP ranges never overlap (checked on a
// map of all 100,000 codes), Canadian prefixes neither repeat nor nest.
func TestTablesData(t *testing.T) {
	t.Parallel()
	checkZones := func(where, cell string) []string {
		names := strings.Split(cell, ";")
		for _, n := range names {
			if n == "" || n == "Local" {
				t.Fatalf("%s: empty or Local zone in %q", where, cell)
			}
			if _, err := time.LoadLocation(n); err != nil {
				t.Fatalf("%s: %q is not an IANA zone: %v", where, n, err)
			}
		}
		return names
	}
	regions := map[string][]string{}
	for _, r := range rawRows(t, "data/regions.csv", 2) {
		if _, dup := regions[r[0]]; dup {
			t.Fatalf("region %s twice", r[0])
		}
		regions[r[0]] = checkZones("region "+r[0], r[1])
	}
	used := map[string]bool{}
	checkRow := func(where, region, cell string) {
		def, ok := regions[region]
		if !ok {
			t.Fatalf("%s: unknown region %q", where, region)
		}
		used[region] = true
		if cell == "" {
			return
		}
		for _, z := range checkZones(where, cell) {
			if !slices.Contains(def, z) {
				t.Fatalf("%s: zone %s is not one of region %s's %v", where, z, region, def)
			}
		}
	}

	var owner [100000]string
	for _, r := range rawRows(t, "data/zips.csv", 4) {
		where := "ZIP " + r[0] + "–" + r[1]
		lo, hi := expand(t, r[0], false), expand(t, r[1], true)
		if lo > hi {
			t.Fatalf("%s: empty range", where)
		}
		for z := lo; z <= hi; z++ {
			if owner[z] != "" {
				t.Fatalf("%s overlaps %s at %05d", where, owner[z], z)
			}
			owner[z] = where
		}
		checkRow(where, r[2], r[3])
	}

	canada := map[string]bool{}
	for _, r := range rawRows(t, "data/canada.csv", 3) {
		p := r[0]
		if canada[p] {
			t.Fatalf("Canadian prefix %s twice", p)
		}
		canada[p] = true
		checkRow("Canada "+p, r[1], r[2])
	}
	for p := range canada {
		if len(p) == 3 && canada[p[:1]] {
			t.Fatalf("FSA %s nests under letter %s", p, p[:1])
		}
	}
	for region := range regions {
		if !used[region] {
			t.Fatalf("region %s is used by no row", region)
		}
	}
}

// expand reads a ZIP bound: 3 digits stand for their hundred.
func expand(t *testing.T, s string, upper bool) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil || (len(s) != 3 && len(s) != 5) {
		t.Fatalf("bad ZIP bound %q", s)
	}
	if len(s) == 3 {
		n *= 100
		if upper {
			n += 99
		}
	}
	return n
}

// TestTablesLoad: the embedded tables load (the loader panics on a bad
// table at first use; this is where that would show).
func TestTablesLoad(t *testing.T) {
	t.Parallel()
	tb, err := loadTables(readData("data/regions.csv"), readData("data/zips.csv"), readData("data/canada.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.zips) == 0 || len(tb.canada) == 0 {
		t.Fatalf("empty tables: %d ZIP ranges, %d Canadian prefixes", len(tb.zips), len(tb.canada))
	}
}

// TestTablesLoadRejects: the loader refuses each kind of bad table.
func TestTablesLoadRejects(t *testing.T) {
	t.Parallel()
	const (
		regions = "region,zones\nUS-NY,America/New_York\nCA-ON,America/Toronto;America/Winnipeg\n"
		zips    = "from,to,region,zones\n100,149,US-NY,\n"
		canada  = "prefix,region,zones\nK,CA-ON,America/Toronto\n"
	)
	tests := []struct {
		name                  string
		regions, zips, canada string
		want                  string // in the error
	}{
		{"bad zone in a region", "region,zones\nUS-NY,America/Gotham\n", zips, canada, "America/Gotham"},
		{"Local", "region,zones\nUS-NY,Local\n", zips, canada, "Local"},
		{"zone twice", "region,zones\nUS-NY,UTC;UTC\n", zips, canada, "twice"},
		{"region twice", regions + "US-NY,UTC\n", zips, canada, "twice"},
		{"bad header", "name,zones\nUS-NY,UTC\n", zips, canada, "header"},
		{"unknown region", regions, zips + "150,196,US-PA,\n", canada, "US-PA"},
		{"overlap", regions, zips + "14900,15000,US-NY,\n", canada, "overlaps"},
		{"reversed range", regions, "from,to,region,zones\n149,100,US-NY,\n", canada, "bad range"},
		{"4-digit bound", regions, "from,to,region,zones\n1000,1490,US-NY,\n", canada, "bad range"},
		{"bad zone in a row", regions, "from,to,region,zones\n100,149,US-NY,America/Gotham\n", canada, "America/Gotham"},
		{"wrong field count", regions, "from,to,region,zones\n100,149,US-NY\n", canada, "fields"},
		{"bad Canadian prefix", regions, zips, canada + "K1,CA-ON,\n", "neither"},
		{"Canadian prefix twice", regions, zips, canada + "K,CA-ON,\n", "twice"},
		{"FSA under a letter", regions, zips, canada + "K1A,CA-ON,\n", "FSA K1A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadTables([]byte(tt.regions), []byte(tt.zips), []byte(tt.canada))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("loadTables error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := loadTables([]byte(regions), []byte(zips), []byte(canada)); err != nil {
		t.Fatalf("the good tables of this test: %v", err)
	}
}
