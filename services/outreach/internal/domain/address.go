package domain

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"reos.dev/services/outreach/internal/domain/compliance"
)

// MaxEmailLen bounds an address (RFC 5321's path limit).
const MaxEmailLen = 254

// Email returns s as outreach keys it (trimmed, lower case) when it is a
// bare addr-spec with a dotted domain; ok is false otherwise. crm sends
// contacts' addresses in this form already; this reads the ones a client
// types (consent records, settings).
func Email(s string) (addr string, ok bool) {
	e := strings.ToLower(strings.TrimSpace(s))
	if e == "" || len(e) > MaxEmailLen || !utf8.ValidString(e) {
		return "", false
	}
	parsed, err := mail.ParseAddress(e)
	if err != nil || parsed.Name != "" || parsed.Address != e {
		return "", false
	}
	_, host, _ := strings.Cut(e, "@")
	if !strings.Contains(host, ".") || strings.HasPrefix(host, "[") {
		return "", false
	}
	return e, true
}

// Phone returns s when it is a valid number written in E.164 (+ and the
// country code: outreach texts across borders, so no default region
// applies), canonicalised; ok is false otherwise.
func Phone(s string) (e164 string, ok bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "+") || len(s) > 40 || !utf8.ValidString(s) {
		return "", false
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// Address normalises s as an address of channel: an email for email, an
// E.164 number for SMS. The message says what was expected.
func Address(ch compliance.Channel, s string) (string, string, bool) {
	switch ch {
	case compliance.Email:
		a, ok := Email(s)
		return a, "must be an email address", ok
	case compliance.SMS:
		a, ok := Phone(s)
		return a, "must be a valid phone number in E.164 form (+14155550100)", ok
	}
	return "", "unknown channel", false
}

// Channel parses a channel name ("email", "sms").
func Channel(s string) (compliance.Channel, bool) {
	switch c := compliance.Channel(s); c {
	case compliance.Email, compliance.SMS:
		return c, true
	}
	return "", false
}
