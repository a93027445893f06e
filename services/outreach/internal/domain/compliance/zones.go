package compliance

import (
	"slices"
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
// not zone names are refused. Safe for concurrent use.
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

// zoneNameShape refuses what cannot be an IANA name before the database
// is asked: the database's names use letters, digits, "/", "_", "-", "+".
func zoneNameShape(name string) bool {
	if name == "" || name == "Local" || len(name) > MaxZoneNameLen || name[0] == '/' || strings.Contains(name, "..") {
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
	// The number is parsed at most once, and only if a later step needs it.
	var (
		num    *phonenumbers.PhoneNumber
		parsed bool
	)
	phone := func() *phonenumbers.PhoneNumber {
		if !parsed {
			parsed = true
			num = parsePhone(e164)
		}
		return num
	}
	region := func() string {
		if n := phone(); n != nil {
			return phonenumbers.GetRegionCodeForNumber(n)
		}
		return ""
	}
	if zones := postalZones(postalCode, countryHint, region); len(zones) > 0 {
		return zones
	}
	if zones := phoneZones(phone()); len(zones) > 0 {
		return zones
	}
	if loc, ok := LoadZone(strings.TrimSpace(orgZone)); ok {
		return []*time.Location{loc}
	}
	return nil
}

// parsePhone parses an E.164 number ("+" and the country code first);
// nil when it is not one.
func parsePhone(e164 string) *phonenumbers.PhoneNumber {
	s := strings.TrimSpace(e164)
	if len(s) < 2 || s[0] != '+' {
		return nil
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return nil
	}
	return num
}

// phoneZones is the number's candidate zones. Validity of the number is
// not required: the prefix (country and area code) is what places it.
func phoneZones(num *phonenumbers.PhoneNumber) []*time.Location {
	if num == nil {
		return nil
	}
	names, err := phonenumbers.GetTimezonesForNumber(num)
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
