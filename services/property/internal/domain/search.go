package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"reos.dev/pkg/apperr"
)

// Search query limits: a query longer than this is a paste accident, and
// each term costs the planner a GIN scan (search_page refuses more than 8
// terms or a term over 32 characters).
const (
	MaxSearchInput = 500
	MaxSearchTerms = 8
	MaxTermRunes   = 32
)

// SearchQuery is user search text reduced to safe terms: runs of letters and
// digits, lower-cased, deduplicated. Nothing else of the input reaches SQL,
// so no tsquery syntax can be injected and no input can make to_tsquery fail.
type SearchQuery struct {
	// Terms are the distinct terms in input order.
	Terms []string
	// Text is the terms joined by single spaces: what the search SQL
	// receives (search_page, migration 6), both as the terms and as the
	// string trigram similarity compares with addresses.
	Text string
}

// ParseSearch turns user text into a SearchQuery. A query with no letter or
// digit is invalid (field q).
func ParseSearch(s string) (SearchQuery, error) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	if utf8.RuneCountInString(s) > MaxSearchInput {
		return SearchQuery{}, apperr.Invalid("q", "must be at most 500 characters")
	}
	var q SearchQuery
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		term := strings.ToLower(f)
		if utf8.RuneCountInString(term) > MaxTermRunes {
			term = string([]rune(term)[:MaxTermRunes])
		}
		if !isTerm(term) || seen[term] {
			continue // ToLower may produce a rune outside the classes; skip such oddities
		}
		seen[term] = true
		q.Terms = append(q.Terms, term)
		if len(q.Terms) == MaxSearchTerms {
			break
		}
	}
	if len(q.Terms) == 0 {
		return SearchQuery{}, apperr.Invalid("q", "must contain at least one letter or digit")
	}
	q.Text = strings.Join(q.Terms, " ")
	return q, nil
}

func isTerm(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}
