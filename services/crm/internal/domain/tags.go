package domain

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lead tags: a small set of short labels ("first-time buyer", "spanish")
// that saved lead filters (outreach audiences) and lists select by.
const (
	// MaxTags bounds the tags of one lead.
	MaxTags = 20
	// MaxTagLen bounds one tag, in characters.
	MaxTagLen = 40
)

// NormalizeTag is a tag as stored: trimmed, lower case, every run of
// white space one space. ok is false for a tag that is empty then, longer
// than MaxTagLen characters, not UTF-8, or holding a control or format
// character (invisible text that would make two equal-looking tags
// differ).
func NormalizeTag(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	t := strings.Join(strings.Fields(strings.ToLower(s)), " ")
	if t == "" || utf8.RuneCountInString(t) > MaxTagLen {
		return "", false
	}
	for _, r := range t {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return "", false
		}
	}
	return t, true
}

// CheckTags normalises a lead's tags into a set (sorted, each once) and
// records in f under field every tag that is not one (by its position) and
// a set larger than MaxTags.
func CheckTags(field string, tags []string, f *FieldErrors) []string {
	out := make([]string, 0, len(tags))
	for i, raw := range tags {
		t, ok := NormalizeTag(raw)
		if !ok {
			f.Add(field, "tag "+strconv.Itoa(i+1)+" must be 1 to "+strconv.Itoa(MaxTagLen)+
				" characters of text without control characters")
			continue
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxTags {
		f.Add(field, "must hold at most "+strconv.Itoa(MaxTags)+" different tags")
	}
	return out
}
