package compliance

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestZonesFor: the order of the sources and the resolution of each.
func TestZonesFor(t *testing.T) {
	t.Parallel()
	const nyPhone, laPhone, dePhone = "+12125550100", "+13105551234", "+4930123456"
	tests := []struct {
		name                               string
		stored, postal, country, e164, org string
		want                               []string
	}{
		// 1. the stored zone wins when valid
		{"stored zone first", "Europe/Paris", "10001", "US", nyPhone, "UTC", []string{"Europe/Paris"}},
		{"stored zone trimmed", " America/Denver ", "", "", "", "", []string{"America/Denver"}},
		{"stored zone invalid", "Mars/Olympus", "10001", "", "", "", []string{"America/New_York"}},
		{"stored Local refused", "Local", "", "", laPhone, "", []string{"America/Los_Angeles"}},
		{"stored path refused", "../../etc/passwd", "", "", "", "UTC", []string{"UTC"}},
		// 2. US ZIP codes: every form, states of one zone, split states
		{"ZIP New York", "", "10001", "", "", "", []string{"America/New_York"}},
		{"ZIP+4", "", "10001-1234", "", "", "", []string{"America/New_York"}},
		{"ZIP 9 digits", "", "100011234", "", "", "", []string{"America/New_York"}},
		{"ZIP leading zero (Boston)", "", "02108", "", "", "", []string{"America/New_York"}},
		{"ZIP Beverly Hills", "", "90210", "", "", "", []string{"America/Los_Angeles"}},
		{"ZIP Chicago", "", "60601", "", "", "", []string{"America/Chicago"}},
		{"ZIP Denver", "", "80202", "", "", "", []string{"America/Denver"}},
		{"ZIP Phoenix (no DST)", "", "85001", "", "", "", []string{"America/Phoenix"}},
		{"ZIP Window Rock (Navajo, DST)", "", "86515", "", "", "", []string{"America/Denver", "America/Phoenix"}},
		{"ZIP Dallas", "", "75201", "", "", "", []string{"America/Chicago"}},
		{"ZIP El Paso", "", "79901", "", "", "", []string{"America/Denver"}},
		{"ZIP El Paso 885", "", "88510", "", "", "", []string{"America/Denver"}},
		{"ZIP Van Horn (798, mixed)", "", "79855", "", "", "", []string{"America/Denver", "America/Chicago"}},
		{"ZIP Austin IRS 733", "", "73301", "", "", "", []string{"America/Chicago"}},
		{"ZIP Tallahassee", "", "32301", "", "", "", []string{"America/New_York"}},
		{"ZIP Pensacola", "", "32501", "", "", "", []string{"America/Chicago"}},
		{"ZIP Panama City (324, mixed)", "", "32401", "", "", "", []string{"America/Chicago", "America/New_York"}},
		{"ZIP Indianapolis", "", "46204", "", "", "", []string{"America/New_York"}},
		{"ZIP Gary", "", "46402", "", "", "", []string{"America/Chicago"}},
		{"ZIP Evansville", "", "47708", "", "", "", []string{"America/Chicago"}},
		{"ZIP Nashville", "", "37201", "", "", "", []string{"America/Chicago"}},
		{"ZIP Knoxville", "", "37902", "", "", "", []string{"America/New_York"}},
		{"ZIP Louisville", "", "40202", "", "", "", []string{"America/New_York"}},
		{"ZIP Paducah", "", "42001", "", "", "", []string{"America/Chicago"}},
		{"ZIP Iron Mountain (498, mixed)", "", "49801", "", "", "", []string{"America/New_York", "America/Chicago"}},
		{"ZIP Rapid City", "", "57701", "", "", "", []string{"America/Denver"}},
		{"ZIP Boise", "", "83702", "", "", "", []string{"America/Boise"}},
		{"ZIP Coeur d'Alene", "", "83814", "", "", "", []string{"America/Los_Angeles"}},
		{"ZIP Honolulu", "", "96813", "", "", "", []string{"Pacific/Honolulu"}},
		{"ZIP Pago Pago", "", "96799", "", "", "", []string{"Pacific/Pago_Pago"}},
		{"ZIP Guam", "", "96910", "", "", "", []string{"Pacific/Guam"}},
		{"ZIP Anchorage", "", "99501", "", "", "", []string{"America/Anchorage"}},
		{"ZIP San Juan", "", "00901", "", "", "", []string{"America/Puerto_Rico"}},
		{"ZIP with spaces", "", " 10001 ", "", "", "", []string{"America/New_York"}},
		{"ZIP of a PR contact", "", "00901", "PR", "", "", []string{"America/Puerto_Rico"}},
		// a ZIP with no zone falls through to the phone
		{"military ZIP", "", "09001", "", nyPhone, "", []string{"America/New_York"}},
		{"unassigned ZIP", "", "00100", "", "", "UTC", []string{"UTC"}},
		// the country decides what a 5-digit code is
		{"German code with hint", "", "10115", "DE", dePhone, "", []string{"Europe/Berlin"}},
		{"German code by the phone", "", "10115", "", dePhone, "", []string{"Europe/Berlin"}},
		{"hint beats the phone", "", "10115", "us", dePhone, "", []string{"America/New_York"}},
		{"postal beats the phone", "", "10001", "", laPhone, "", []string{"America/New_York"}},
		{"malformed ZIP", "", "1000", "US", laPhone, "", []string{"America/Los_Angeles"}},
		{"ZIP+4 malformed", "", "10001-12", "US", laPhone, "", []string{"America/Los_Angeles"}},
		// Canadian postal codes
		{"Ottawa", "", "K1A 0B1", "", "", "", []string{"America/Toronto"}},
		{"Ottawa lower case, no space", "", "k1a0b1", "CA", "", "", []string{"America/Toronto"}},
		{"Montreal", "", "H2X 1Y4", "", "", "", []string{"America/Toronto"}},
		{"Quebec City (district G)", "", "G1R 4P5", "", "", "", []string{"America/Toronto", "America/Halifax"}},
		{"Vancouver", "", "V6B 1A1", "", "", "", []string{"America/Vancouver", "America/Edmonton"}},
		{"Calgary FSA alone", "", "T2P", "", "", "", []string{"America/Edmonton"}},
		{"Regina", "", "S4P 3Y2", "", "", "", []string{"America/Regina", "America/Edmonton", "America/Winnipeg"}},
		{"St. John's (half hour)", "", "A1C 5M2", "", "", "", []string{"America/St_Johns", "America/Goose_Bay"}},
		{"Iqaluit", "", "X0A 0H0", "", "", "", []string{"America/Iqaluit", "America/Resolute"}},
		{"Yellowknife", "", "X1A 2L9", "", "", "", []string{"America/Edmonton"}},
		{"X district without a row", "", "X9Z 1A1", "", nyPhone, "", []string{"America/New_York"}},
		{"no district D", "", "D1A 1A1", "", "", "UTC", []string{"UTC"}},
		{"Canadian code, US hint", "", "K1A 0B1", "US", laPhone, "", []string{"America/Los_Angeles"}},
		{"Canadian shape, bad tail", "", "K1A 0BB", "", laPhone, "", []string{"America/Los_Angeles"}},
		// 3. the phone number
		{"phone New York", "", "", "", nyPhone, "", []string{"America/New_York"}},
		{"phone El Paso", "", "", "", "+19155551234", "", []string{"America/Denver"}},
		{"phone Toronto", "", "", "", "+14165551234", "", []string{"America/Toronto"}},
		{"phone Kolkata", "", "", "", "+919876543210", "", []string{"Asia/Calcutta"}},
		{"phone Adelaide or Perth", "", "", "", "+61881234567", "", []string{"Australia/Adelaide", "Australia/Perth"}},
		{"phone with separators", "", "", "", "+1 (212) 555-0100", "", []string{"America/New_York"}},
		{"phone with letters", "", "", "", "+1 212 CALL NOW", "UTC", []string{"UTC"}},
		{"phone too long", "", "", "", "+1212555010012345", "UTC", []string{"UTC"}},
		{"phone too short", "", "", "", "+1", "UTC", []string{"UTC"}},
		{"Canadian phone, ZIP code: +1 is US", "", "10001", "", "+14165551234", "", []string{"America/New_York"}},
		{"phone without +", "", "", "", "12125550100", "UTC", []string{"UTC"}},
		{"phone unknown country code", "", "", "", "+999123456", "UTC", []string{"UTC"}},
		// 4. the org's zone
		{"org fallback", "", "", "", "", "America/Chicago", []string{"America/Chicago"}},
		{"nothing at all", "", "", "", "", "", nil},
		{"invalid org zone", "", "", "", "", "Nowhere", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ZonesFor(tt.stored, tt.postal, tt.country, tt.e164, tt.org)
			if names := zoneNames(got); !slices.Equal(names, tt.want) {
				t.Fatalf("ZonesFor(%q, %q, %q, %q, %q) = %v, want %v", tt.stored, tt.postal, tt.country, tt.e164, tt.org, names, tt.want)
			}
		})
	}
}

// TestZonesForNANPTollFree: a number libphonenumber cannot place (+1 800)
// has every NANP zone, without repeats; the gate then finds the short
// window they share rather than texting anyone at night.
func TestZonesForNANPTollFree(t *testing.T) {
	t.Parallel()
	zs := ZonesFor("", "", "", "+18005550100", "")
	names := zoneNames(zs)
	for _, want := range []string{"America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "America/St_Johns", "Pacific/Guam"} {
		if !slices.Contains(names, want) {
			t.Fatalf("+1 800 zones %v lack %s", names, want)
		}
	}
	if len(zs) < 20 {
		t.Fatalf("+1 800 has %d zones, want dozens: %v", len(zs), names)
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(names) {
		t.Fatalf("repeated zones: %v", names)
	}
	// Noon in New York is 03:00 in Guam: deferred, to a minute allowed
	// everywhere.
	f := okSMS()
	f.Zones = zs
	d := Decide(f, noonNY)
	if d.Outcome != Defer || !Allowed(zs, d.NotBefore) || d.Detail != "" {
		t.Fatalf("Decide = %+v: want a deferral to a shared minute", d)
	}
}

// TestZonesForResultIsTheCallers: changing the slice returned must not
// change the table.
func TestZonesForResultIsTheCallers(t *testing.T) {
	t.Parallel()
	a := ZonesFor("", "32401", "", "", "")
	a[0] = time.UTC
	if b := ZonesFor("", "32401", "", "", ""); b[0].String() != "America/Chicago" {
		t.Fatalf("table changed through a result: %v", zoneNames(b))
	}
}

func TestLoadZone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ok   bool
	}{
		{"America/New_York", true},
		{"UTC", true},
		{"Asia/Calcutta", true},           // a link (the old name of Asia/Kolkata)
		{"America/Argentina/Salta", true}, // three levels
		{"Etc/GMT+5", true},
		{"", false},
		{"Local", false},
		{"localtime", false},
		{"posixrules", false},
		{"Factory", false},
		{"posix/America/New_York", false},
		{"right/America/New_York", false},
		{"Not/AZone", false},
		{"america/new_york", false},
		{"/etc/localtime", false},
		{"../../etc/passwd", false},
		{"America/New York", false},
		{"America/New_York\x00", false},
		{strings.Repeat("A", MaxZoneNameLen+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc, ok := LoadZone(tt.name)
			if ok != tt.ok || (ok && loc == nil) {
				t.Fatalf("LoadZone(%q) = %v, %v; want ok %v", tt.name, loc, ok, tt.ok)
			}
			if ok {
				again, _ := LoadZone(tt.name)
				if again != loc {
					t.Fatalf("LoadZone(%q) gave two locations", tt.name)
				}
			}
		})
	}
}
