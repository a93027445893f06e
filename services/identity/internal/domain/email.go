package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"
	"unicode"
)

// Email bounds from RFC 5321 (path limit 254, local part 64).
const (
	MaxEmailLen      = 254
	maxEmailLocalLen = 64
)

// NormalizeEmail trims and lower-cases an address. Every lookup, uniqueness
// check and lockout key uses the normalised form, so "Ann@X.test " and
// "ann@x.test" are one account.
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// ParseEmail normalises s and checks it is a plain addr-spec (no display
// name, no comments) of sensible size with a dotted domain.
func ParseEmail(field, s string) (string, error) {
	var fields fieldList
	e := NormalizeEmail(s)
	if msg := emailProblem(e); msg != "" {
		fields.add(field, msg)
	}
	return e, fields.err()
}

func emailProblem(e string) string {
	if e == "" {
		return "is required"
	}
	if len(e) > MaxEmailLen {
		return "must be at most 254 bytes"
	}
	if strings.IndexFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "must not contain spaces or control characters"
	}
	at := strings.LastIndexByte(e, '@')
	if at < 1 || at > maxEmailLocalLen || at == len(e)-1 {
		return "must be an email address like name@example.com"
	}
	domain := e[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "must be an email address like name@example.com"
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || addr.Name != "" {
		return "must be an email address like name@example.com"
	}
	return ""
}

// EmailKey is the lockout key of an email: the hex SHA-256 of its normalised
// form. The throttle table stores keys, not addresses, and keys exist for
// unknown emails exactly as for real ones.
func EmailKey(email string) string {
	sum := sha256.Sum256([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(sum[:])
}
