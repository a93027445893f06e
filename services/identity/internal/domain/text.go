package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Text length bounds, in characters (runes).
const (
	MaxNameLen        = 200
	MaxTitleLen       = 100
	MaxDescriptionLen = 1000
	MaxPhoneLen       = 32
	MaxTimezoneLen    = 64
	MaxRoleNameLen    = 64
)

// cleanText trims s and checks it is printable text of min..max runes. Control
// characters (NUL above all, which PostgreSQL refuses in text) are rejected
// here so that they become a 422 naming the field and never a 500.
func cleanText(fields *fieldList, field, s string, minLen, maxLen int) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		fields.add(field, "must be valid UTF-8")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		fields.add(field, "must not contain control characters")
	case n < minLen && minLen == 1:
		fields.add(field, "is required")
	case n < minLen:
		fields.add(field, fmt.Sprintf("must be at least %d characters", minLen))
	case n > maxLen:
		fields.add(field, fmt.Sprintf("must be at most %d characters", maxLen))
	}
	return s
}

// cleanOptional is cleanText for an optional field: nil stays nil, and an
// empty string after trimming becomes nil (cleared).
func cleanOptional(fields *fieldList, field string, s *string, maxLen int) *string {
	if s == nil {
		return nil
	}
	v := cleanText(fields, field, *s, 0, maxLen)
	if v == "" {
		return nil
	}
	return &v
}

// validPhone accepts the characters of international and local phone
// notations with 5 to 20 digits; numbers are not normalised here.
func validPhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 20
}

// validTimezone reports whether s names an IANA time zone. The binary embeds
// the zone database (time/tzdata), so the answer does not depend on the host.
func validTimezone(s string) bool {
	if s == "" || s == "Local" {
		return false
	}
	_, err := time.LoadLocation(s)
	return err == nil
}
