package compliance

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	// The zone database is embedded so that a zone name is valid, and a
	// quiet-hours decision the same, on every host (a minimal container
	// has no /usr/share/zoneinfo; Debian moved old names to tzdata-legacy).
	_ "time/tzdata"

	"github.com/nyaruka/phonenumbers"
)

// MaxZoneNameLen bounds a zone name (the longest IANA name is 32 bytes;
// identity's user time zone has the same limit).
const MaxZoneNameLen = 64

// zoneCache memoises LoadZone: time.LoadLocation reads and parses the
// zone's file on every call (tens of µs), and the gate runs per message.
// It holds only names that loaded, so it is bounded by the IANA database
// (about 600 names); the values are immutable.
var zoneCache sync.Map // string → *time.Location

// LoadZone returns the IANA time zone of that name. "", "Local" (the
// host's zone, which means nothing for a recipient) and names that are
// not zone names (see zoneNameShape) are refused. Safe for concurrent use.
func LoadZone(name string) (*time.Location, bool) {
	if v, ok := zoneCache.Load(name); ok {
		return v.(*time.Location), true
	}
	if !zoneNameShape(name) {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	// LoadOrStore: one *Location per name, so zones compare by pointer.
	v, _ := zoneCache.LoadOrStore(name, loc)
	return v.(*time.Location), true
}

// notZones are files of a host's zoneinfo directory that load as zones
// but are not zones a place keeps (Factory is "-00", the others copies).
var notZones = map[string]bool{"Local": true, "localtime": true, "posixrules": true, "Factory": true}

// zoneNameShape refuses what cannot be an IANA name before the database
// is asked: the database's names use letters, digits, "/", "_", "-", "+";
// the host's posix/ and right/ trees are copies, not names.
func zoneNameShape(name string) bool {
	if name == "" || notZones[name] || len(name) > MaxZoneNameLen || name[0] == '/' || strings.Contains(name, "..") ||
		strings.HasPrefix(name, "posix/") || strings.HasPrefix(name, "right/") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isUpper(c) || (c >= 'a' && c <= 'z') || isDigit(c) || c == '/' || c == '_' || c == '-' || c == '+') {
			return false
		}
	}
	return true
}

// ZonesFor returns the candidate time zones of a recipient, the most
// specific first (Decide's fallback, see NextAllowed, relies on that
// order). The first source that gives any zone wins:
//
//  1. storedZone, the contact's IANA zone, when it is valid (LoadZone);
//  2. postalCode, a US ZIP code or a Canadian postal code, read in the
//     country countryHint (ISO 3166-1 alpha-2; "" lets the code's shape
//     and the phone number decide, see postalZones): the zones of its
//     state or province from the embedded tables, narrowed to one where
//     the part of the state is known;
//  3. e164, the number's candidate zones from libphonenumber's data
//     (nyaruka/phonenumbers): one for most area codes, dozens for a
//     number it cannot place (+1 800 …);
//  4. orgZone, the org's IANA zone, the fallback the caller gives.
//
// The result is nil only when none of them gives a zone (orgZone empty or
// invalid too); Decide blocks an SMS with no zone (ReasonNoTimeZone). The
// slice is the caller's; zones are never nil and never repeated.
//
// Changed from the contract (which had the org's zone passed as
// storedZone in a second call): orgZone is an argument, so that one call
// answers and the caller cannot forget the fallback.
func ZonesFor(storedZone, postalCode, countryHint, e164, orgZone string) []*time.Location {
	if loc, ok := LoadZone(strings.TrimSpace(storedZone)); ok {
		return []*time.Location{loc}
	}
	digits := phoneDigits(e164)
	country := func() string { return phoneCountry(digits) }
	if zones := postalZones(postalCode, countryHint, country); len(zones) > 0 {
		return zones
	}
	if zones := phoneZones(digits); len(zones) > 0 {
		return zones
	}
	if loc, ok := LoadZone(strings.TrimSpace(orgZone)); ok {
		return []*time.Location{loc}
	}
	return nil
}

// maxE164Digits is E.164's limit on a number's length.
const maxE164Digits = 15

// phoneDigits returns the digits of an E.164 number: "+", then the
// country code and the number, 2–15 digits; the separators people write
// (" ", "-", "(", ")", ".") are dropped. "" when it is not one. The zone
// data is keyed by these digits, so the number need not be parsed
// (parsing costs ~10 µs; this, ~100 ns).
func phoneDigits(e164 string) string {
	s := strings.TrimSpace(e164)
	if len(s) < 3 || s[0] != '+' {
		return ""
	}
	s = s[1:]
	if !allDigits(s) {
		s = strings.Map(func(r rune) rune {
			switch {
			case r >= '0' && r <= '9':
				return r
			case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
				return -1
			}
			return 'x'
		}, s)
		if !allDigits(s) {
			return ""
		}
	}
	if len(s) < 2 || len(s) > maxE164Digits {
		return ""
	}
	return s
}

// phoneCountry is the main region (ISO 3166-1 alpha-2) of the number's
// country calling code ("US" for every +1 number), "" when unknown.
// Calling codes are prefix-free, so the first known one is the one.
func phoneCountry(digits string) string {
	for n := 1; n <= 3 && n < len(digits); n++ {
		cc, err := strconv.Atoi(digits[:n])
		if err != nil {
			return ""
		}
		if r := phonenumbers.GetRegionCodeForCountryCode(cc); r != phonenumbers.UNKNOWN_REGION {
			return r
		}
	}
	return ""
}

// phoneZones is the candidate zones libphonenumber's data gives the
// number's longest known prefix (country and area code). The number need
// not be valid: the prefix is what places it.
func phoneZones(digits string) []*time.Location {
	if digits == "" {
		return nil
	}
	names, err := phonenumbers.GetTimezonesForPrefix(digits)
	if err != nil {
		return nil
	}
	zones := make([]*time.Location, 0, len(names))
	for _, name := range names {
		if name == phonenumbers.UNKNOWN_TIMEZONE {
			continue
		}
		if loc, ok := LoadZone(name); ok && !slices.Contains(zones, loc) {
			zones = append(zones, loc)
		}
	}
	return zones
}
