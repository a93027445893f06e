package compliance

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The postal code tables: data, written by hand from public sources (see
// the header of each file).
//
//go:embed data/regions.csv data/zips.csv data/canada.csv
var dataFiles embed.FS

// zipRange is a row of data/zips.csv: the ZIP codes lo–hi (inclusive,
// as numbers) and their candidate zones.
type zipRange struct {
	lo, hi int
	region string
	zones  []*time.Location
}

// postalTables are the loaded tables: ZIP ranges sorted by lo, Canadian
// prefixes (a letter or a three-character FSA) to zones.
type postalTables struct {
	zips   []zipRange
	canada map[string][]*time.Location
}

// tables loads the embedded tables once; they are immutable afterwards. A
// bad table is a programming error, caught by the tests (TestTablesLoad),
// so it panics rather than being answered at every call.
var tables = sync.OnceValue(func() *postalTables {
	t, err := loadTables(readData("data/regions.csv"), readData("data/zips.csv"), readData("data/canada.csv"))
	if err != nil {
		panic("compliance: postal tables: " + err.Error())
	}
	return t
})

func readData(name string) []byte {
	b, err := dataFiles.ReadFile(name)
	if err != nil {
		panic("compliance: " + err.Error())
	}
	return b
}

// loadTables parses and checks the three tables: every zone loads, every
// region a row names exists, ZIP ranges are well formed and do not
// overlap, no Canadian letter coexists with an FSA under it.
func loadTables(regionsCSV, zipsCSV, canadaCSV []byte) (*postalTables, error) {
	regions := map[string][]*time.Location{}
	err := eachRow(regionsCSV, "region,zones", 2, func(line int, r []string) error {
		if _, dup := regions[r[0]]; dup {
			return fmt.Errorf("regions line %d: region %s twice", line, r[0])
		}
		zones, err := parseZones(r[1])
		if err != nil || len(zones) == 0 {
			return fmt.Errorf("regions line %d: %s: zones %q: %v", line, r[0], r[1], err)
		}
		regions[r[0]] = zones
		return nil
	})
	if err != nil {
		return nil, err
	}
	// rowZones is a row's own zones, else its region's.
	rowZones := func(file string, line int, region, cell string) ([]*time.Location, error) {
		def, ok := regions[region]
		if !ok {
			return nil, fmt.Errorf("%s line %d: unknown region %q", file, line, region)
		}
		if cell == "" {
			return def, nil
		}
		zones, err := parseZones(cell)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: zones %q: %v", file, line, cell, err)
		}
		return zones, nil
	}

	t := &postalTables{canada: map[string][]*time.Location{}}
	err = eachRow(zipsCSV, "from,to,region,zones", 4, func(line int, r []string) error {
		lo, okLo := zipBound(r[0], false)
		hi, okHi := zipBound(r[1], true)
		if !okLo || !okHi || lo > hi {
			return fmt.Errorf("zips line %d: bad range %s–%s", line, r[0], r[1])
		}
		zones, err := rowZones("zips", line, r[2], r[3])
		if err != nil {
			return err
		}
		t.zips = append(t.zips, zipRange{lo: lo, hi: hi, region: r[2], zones: zones})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(t.zips, func(a, b zipRange) int { return a.lo - b.lo })
	for i := 1; i < len(t.zips); i++ {
		if t.zips[i].lo <= t.zips[i-1].hi {
			return nil, fmt.Errorf("zips: %05d–%05d overlaps %05d–%05d", t.zips[i].lo, t.zips[i].hi, t.zips[i-1].lo, t.zips[i-1].hi)
		}
	}

	err = eachRow(canadaCSV, "prefix,region,zones", 3, func(line int, r []string) error {
		p := r[0]
		if !(len(p) == 1 && isUpper(p[0])) && !(len(p) == 3 && isUpper(p[0]) && isDigit(p[1]) && isUpper(p[2])) {
			return fmt.Errorf("canada line %d: prefix %q is neither a letter nor an FSA", line, p)
		}
		if _, dup := t.canada[p]; dup {
			return fmt.Errorf("canada line %d: prefix %s twice", line, p)
		}
		zones, err := rowZones("canada", line, r[1], r[2])
		if err != nil {
			return err
		}
		t.canada[p] = zones
		return nil
	})
	if err != nil {
		return nil, err
	}
	for p := range t.canada {
		if len(p) == 3 {
			if _, both := t.canada[p[:1]]; both {
				return nil, fmt.Errorf("canada: FSA %s under letter %s, which has a row of its own", p, p[:1])
			}
		}
	}
	return t, nil
}

// eachRow reads a table: "#" comments, a header that must be header, then
// rows of exactly n fields (line is the row's line in the file).
func eachRow(data []byte, header string, n int, fn func(line int, r []string) error) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = n
	first := true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if first {
			first = false
			if strings.Join(rec, ",") != header {
				return fmt.Errorf("header %q, want %q", strings.Join(rec, ","), header)
			}
			continue
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

// parseZones loads a ";"-separated list of zone names.
func parseZones(cell string) ([]*time.Location, error) {
	var zones []*time.Location
	for name := range strings.SplitSeq(cell, ";") {
		loc, ok := LoadZone(name)
		if !ok {
			return nil, fmt.Errorf("%q is not an IANA time zone", name)
		}
		if slices.Contains(zones, loc) {
			return nil, fmt.Errorf("%q twice", name)
		}
		zones = append(zones, loc)
	}
	return zones, nil
}

// zipBound reads a range bound: 5 digits for itself, 3 for its hundred
// (the first code of it as a lower bound, the last as an upper one).
func zipBound(s string, upper bool) (int, bool) {
	if (len(s) != 3 && len(s) != 5) || !allDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	if len(s) == 3 {
		n *= 100
		if upper {
			n += 99
		}
	}
	return n, true
}

// zipCountries are the countries and territories that use US ZIP codes.
var zipCountries = map[string]bool{"US": true, "PR": true, "VI": true, "GU": true, "AS": true, "MP": true, "FM": true, "MH": true, "PW": true}

// postalZones returns the candidate zones of a postal code, or nil when
// the code is not one the tables cover.
//
// The country is countryHint (ISO 3166-1 alpha-2) when given, and then it
// is authoritative: a ZIP-shaped code is looked up only for a country
// that uses ZIP codes, a Canadian-shaped one only for CA. Without a hint,
// the shape decides: "A1A 1A1" is Canadian (no other country writes codes
// so); five digits (or ZIP+4) are a US ZIP code unless the phone's
// country (phoneCountry: the main region of its calling code, so every +1
// number counts as US; "" when there is no number) does not use ZIP codes
// (five digits are also German, French, Spanish, Italian … codes). The
// caller should pass the org's country as the hint when the contact has
// none.
func postalZones(postalCode, countryHint string, phoneCountry func() string) []*time.Location {
	code := strings.ToUpper(strings.TrimSpace(postalCode))
	if code == "" {
		return nil
	}
	country := strings.ToUpper(strings.TrimSpace(countryHint))
	if zip, ok := parseZIP(code); ok {
		if country == "" {
			if r := phoneCountry(); r != "" && !zipCountries[r] {
				return nil
			}
		} else if !zipCountries[country] {
			return nil
		}
		return lookupZIP(zip)
	}
	if fsa, ok := parseCanadian(code); ok && (country == "" || country == "CA") {
		t := tables()
		if zones, ok := t.canada[fsa]; ok {
			return slices.Clone(zones)
		}
		if zones, ok := t.canada[fsa[:1]]; ok {
			return slices.Clone(zones)
		}
	}
	return nil
}

// lookupZIP finds the range holding a 5-digit ZIP code.
func lookupZIP(zip int) []*time.Location {
	zips := tables().zips
	i, found := slices.BinarySearchFunc(zips, zip, func(r zipRange, z int) int {
		switch {
		case r.hi < z:
			return -1
		case r.lo > z:
			return 1
		}
		return 0
	})
	if !found {
		return nil
	}
	return slices.Clone(zips[i].zones)
}

// parseZIP accepts 12345, 12345-6789 and 123456789 and returns the 5-digit
// code.
func parseZIP(s string) (int, bool) {
	switch {
	case len(s) == 5 && allDigits(s):
	case len(s) == 9 && allDigits(s):
	case len(s) == 10 && s[5] == '-' && allDigits(s[:5]) && allDigits(s[6:]):
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s[:5])
	return n, err == nil
}

// parseCanadian accepts "A1A 1A1", "A1A1A1", "A1A-1A1" and a bare FSA
// "A1A" (upper case already) and returns the FSA.
func parseCanadian(s string) (string, bool) {
	fsa := len(s) >= 3 && isUpper(s[0]) && isDigit(s[1]) && isUpper(s[2])
	if !fsa {
		return "", false
	}
	rest := s[3:]
	if len(rest) == 4 && (rest[0] == ' ' || rest[0] == '-') {
		rest = rest[1:]
	}
	if rest != "" && !(len(rest) == 3 && isDigit(rest[0]) && isUpper(rest[1]) && isDigit(rest[2])) {
		return "", false
	}
	return s[:3], true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
