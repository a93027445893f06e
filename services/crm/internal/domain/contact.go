package domain

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	// The tz database inside the binary: time zones validate the same on
	// a host without /usr/share/zoneinfo (a slim container).
	_ "time/tzdata"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// MaxEmailLen bounds an email address (RFC 5321 path limit).
const MaxEmailLen = 254

// NormalizeEmail trims and lower-cases an address and checks it is a bare
// addr-spec: display-name forms ("Jane <jane@x.io>") and anything net/mail
// would rewrite are refused, so the stored value is exactly what dedupe
// compares. Lower-casing the local part is a deliberate simplification:
// virtually every provider treats it case-insensitively, and two contacts
// differing only by case are far likelier the same person.
func NormalizeEmail(s string) (string, bool) {
	e := strings.ToLower(strings.TrimSpace(s))
	if e == "" || len(e) > MaxEmailLen || !utf8.ValidString(e) {
		return "", false
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Name != "" || addr.Address != e {
		return "", false
	}
	local, domainPart, ok := strings.Cut(e, "@")
	if !ok || local == "" || !strings.Contains(domainPart, ".") || strings.HasPrefix(domainPart, "[") {
		return "", false
	}
	return e, true
}

// NormalizePhone parses a phone number written in any common format and
// returns it in E.164. region (ISO 3166-1 alpha-2, e.g. "US") applies to
// numbers without a leading +country code; a number that is not a valid
// number for its country is refused.
func NormalizePhone(s, region string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 || !utf8.ValidString(s) {
		return "", false
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// ValidRegion reports whether region is a region the phone library knows.
func ValidRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region)) != 0
}

// Contact is a person the organisation deals with, deduplicated by
// normalised email and by E.164 phone.
type Contact struct {
	ID        string
	FirstName string
	LastName  string
	Email     *string
	Phone     *string
	// TimeZone is the person's IANA time zone (America/New_York), nil when
	// unknown; outreach judges SMS quiet hours by it.
	TimeZone *string
	// PostalCode is where the person lives, as given, trimmed.
	PostalCode *string
	// CreatedBy is the user who created the contact, nil for the system;
	// written once and read only by the agent visibility rule (in SQL).
	CreatedBy *string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ContactInput is the raw contact part of a request; Normalize validates it.
type ContactInput struct {
	FirstName   *string
	LastName    *string
	Email       *string
	Phone       *string
	PhoneRegion string
	TimeZone    *string
	PostalCode  *string
}

// NormalizedContact is a ContactInput after validation: Email and Phone are
// normalised (nil when absent).
type NormalizedContact struct {
	FirstName, LastName  *string
	Email, Phone         *string
	TimeZone, PostalCode *string
}

// Empty reports whether n names no one: no email, no phone and no name.
func (n NormalizedContact) Empty() bool {
	return n.Email == nil && n.Phone == nil && (n.FirstName == nil || *n.FirstName == "") &&
		(n.LastName == nil || *n.LastName == "")
}

// Normalize validates the contact fields, records bad ones in f and returns
// them normalised. defaultRegion applies unless PhoneRegion is given.
func (in ContactInput) Normalize(defaultRegion string, f *FieldErrors) NormalizedContact {
	var out NormalizedContact
	if in.FirstName != nil {
		v := strings.TrimSpace(*in.FirstName)
		if utf8.RuneCountInString(v) > 100 {
			f.Add("first_name", "must be at most 100 characters")
		}
		checkText("first_name", v, f)
		out.FirstName = &v
	}
	if in.LastName != nil {
		v := strings.TrimSpace(*in.LastName)
		if utf8.RuneCountInString(v) > 100 {
			f.Add("last_name", "must be at most 100 characters")
		}
		checkText("last_name", v, f)
		out.LastName = &v
	}
	if in.Email != nil && strings.TrimSpace(*in.Email) != "" {
		if e, ok := NormalizeEmail(*in.Email); ok {
			out.Email = &e
		} else {
			f.Add("email", "must be a plain email address such as name@example.com")
		}
	}
	region := defaultRegion
	if in.PhoneRegion != "" {
		if !ValidRegion(in.PhoneRegion) {
			f.Add("phone_region", "must be an ISO 3166-1 alpha-2 region code such as US")
		}
		region = in.PhoneRegion
	}
	if in.Phone != nil && strings.TrimSpace(*in.Phone) != "" {
		if p, ok := NormalizePhone(*in.Phone, region); ok {
			out.Phone = &p
		} else {
			f.Add("phone", "must be a valid phone number (E.164, or national format for phone_region)")
		}
	}
	out.TimeZone = CheckTimeZone("time_zone", in.TimeZone, f)
	out.PostalCode = CheckPostalCode("postal_code", in.PostalCode, f)
	return out
}

// MaxTimeZoneLen bounds a time zone name (the longest IANA name has 32
// characters).
const MaxTimeZoneLen = 64

// timeZoneName is the shape of an IANA zone name: slash-separated parts of
// ASCII letters, digits and _ + -, starting with a letter.
var timeZoneName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`)

// CheckTimeZone trims an IANA time zone name and records it in f under
// field unless time.LoadLocation knows it; an empty name is no zone (nil).
// "Local" (the server's zone, not a place) is refused, and so is anything
// not shaped like a zone name, which LoadLocation would otherwise look up
// as a path. Names are case-sensitive, as in the tz database.
func CheckTimeZone(field string, v *string, f *FieldErrors) *string {
	if v == nil {
		return nil
	}
	s := strings.TrimSpace(*v)
	if s == "" {
		return nil
	}
	if !ValidTimeZone(s) {
		f.Add(field, "must be an IANA time zone name such as America/New_York")
		return nil
	}
	return &s
}

// ValidTimeZone reports whether name is a zone of the tz database.
func ValidTimeZone(name string) bool {
	if len(name) > MaxTimeZoneLen || name == "Local" || !timeZoneName.MatchString(name) {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Merge fills the contact's empty fields from n and reports whether anything
// changed. Existing non-empty values win: a lead form must not overwrite what
// an agent already recorded about a person.
func (c *Contact) Merge(n NormalizedContact) bool {
	changed := false
	if c.FirstName == "" && n.FirstName != nil && *n.FirstName != "" {
		c.FirstName, changed = *n.FirstName, true
	}
	if c.LastName == "" && n.LastName != nil && *n.LastName != "" {
		c.LastName, changed = *n.LastName, true
	}
	if c.Email == nil && n.Email != nil {
		c.Email, changed = n.Email, true
	}
	if c.Phone == nil && n.Phone != nil {
		c.Phone, changed = n.Phone, true
	}
	if c.TimeZone == nil && n.TimeZone != nil {
		c.TimeZone, changed = n.TimeZone, true
	}
	if c.PostalCode == nil && n.PostalCode != nil {
		c.PostalCode, changed = n.PostalCode, true
	}
	return changed
}

// Edit overwrites the contact's fields that n (the normalised form of in)
// gives — a nil field of in is left as it is; an empty email, phone, time
// zone or postal code clears it — and reports whether anything changed.
// Unlike Merge, an explicit edit overwrites.
func (c *Contact) Edit(in ContactInput, n NormalizedContact) bool {
	before := *c
	if n.FirstName != nil {
		c.FirstName = *n.FirstName
	}
	if n.LastName != nil {
		c.LastName = *n.LastName
	}
	if in.Email != nil {
		c.Email = n.Email
	}
	if in.Phone != nil {
		c.Phone = n.Phone
	}
	if in.TimeZone != nil {
		c.TimeZone = n.TimeZone
	}
	if in.PostalCode != nil {
		c.PostalCode = n.PostalCode
	}
	return c.FirstName != before.FirstName || c.LastName != before.LastName || !EqualPtr(c.Email, before.Email) ||
		!EqualPtr(c.Phone, before.Phone) || !EqualPtr(c.TimeZone, before.TimeZone) || !EqualPtr(c.PostalCode, before.PostalCode)
}
