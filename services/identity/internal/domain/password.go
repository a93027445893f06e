package domain

import (
	"strings"
	"unicode/utf8"
)

// Password policy bounds, in characters. Length is the policy (NIST SP
// 800-63B): no composition rules, which push users to predictable patterns.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// ValidatePassword checks the policy for a new password of the account email.
func ValidatePassword(field, password, email string) error {
	var fields fieldList
	n := utf8.RuneCountInString(password)
	switch {
	case password == "":
		fields.add(field, "is required")
	case !utf8.ValidString(password):
		fields.add(field, "must be valid UTF-8")
	case strings.ContainsRune(password, 0):
		fields.add(field, "must not contain NUL characters")
	case n < MinPasswordLen:
		fields.add(field, "must be at least 12 characters")
	case n > MaxPasswordLen:
		fields.add(field, "must be at most 128 characters")
	case email != "" && strings.EqualFold(strings.TrimSpace(password), NormalizeEmail(email)):
		fields.add(field, "must not be the email address")
	}
	return fields.err()
}
