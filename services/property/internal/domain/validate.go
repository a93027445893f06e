package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
)

// fieldErrors collects every bad field of one input so a client learns all
// of them at once.
type fieldErrors struct{ list apperr.Fields }

func (e *fieldErrors) add(field, msg string) { e.list.Add(field, msg) }

func (e *fieldErrors) has(field string) bool {
	for _, f := range e.list {
		if f.Field == field {
			return true
		}
	}
	return false
}

func (e *fieldErrors) err() error { return e.list.Err() }

// cleanText trims s and checks it is storable text: PostgreSQL text cannot
// hold NUL, and control characters in a name or address are always a bug.
func cleanText(s string, field string, maxLen int, multiline bool, errs *fieldErrors) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		errs.add(field, "must be valid UTF-8")
		return s
	}
	for _, r := range s {
		if r == 0 || (r < 0x20 && !(multiline && (r == '\n' || r == '\r' || r == '\t'))) || r == 0x7f {
			errs.add(field, "must not contain control characters")
			return s
		}
	}
	if utf8.RuneCountInString(s) > maxLen {
		errs.add(field, fmt.Sprintf("must be at most %d characters", maxLen))
	}
	return s
}

// optText cleans an optional text field; blank becomes nil.
func optText(p **string, field string, maxLen int, multiline bool, errs *fieldErrors) {
	if *p == nil {
		return
	}
	s := cleanText(**p, field, maxLen, multiline, errs)
	if s == "" {
		*p = nil
		return
	}
	*p = &s
}

// reqText cleans a required text field.
func reqText(p *string, field string, maxLen int, errs *fieldErrors) {
	*p = cleanText(*p, field, maxLen, false, errs)
	if *p == "" && !errs.has(field) {
		errs.add(field, "is required")
	}
}

func intRange[T ~int | ~int64](p *T, field string, lo, hi T, errs *fieldErrors) {
	if p != nil && (*p < lo || *p > hi) {
		errs.add(field, fmt.Sprintf("must be between %d and %d", lo, hi))
	}
}
