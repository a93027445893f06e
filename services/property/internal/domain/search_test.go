package domain

import (
	"regexp"
	"slices"
	"testing"
	"unicode/utf8"
)

var tsqueryShape = regexp.MustCompile(`^[\p{L}\p{N}]+:\*( & [\p{L}\p{N}]+:\*)*$`)

func TestParseSearch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		terms   []string
		tsquery string
		wantErr bool
	}{
		{name: "address", in: "123 Maple Street", terms: []string{"123", "maple", "street"}, tsquery: "123:* & maple:* & street:*"},
		{name: "partial", in: "12 Map", terms: []string{"12", "map"}, tsquery: "12:* & map:*"},
		{name: "tsquery syntax is dropped", in: "maple' | !(oak) & <-> :*", terms: []string{"maple", "oak"}, tsquery: "maple:* & oak:*"},
		{name: "duplicates", in: "Oak oak OAK", terms: []string{"oak"}, tsquery: "oak:*"},
		{name: "unicode", in: "Zürich Straße", terms: []string{"zürich", "straße"}, tsquery: "zürich:* & straße:*"},
		{name: "only punctuation", in: "!!! ---", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := ParseSearch(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseSearch(%q) = %+v, want error", tt.in, q)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(q.Terms, tt.terms) || q.TSQuery() != tt.tsquery {
				t.Errorf("ParseSearch(%q) = %q / %q, want %q / %q", tt.in, q.Terms, q.TSQuery(), tt.terms, tt.tsquery)
			}
		})
	}
}

// FuzzParseSearch: whatever the input, the parser does not panic and what it
// returns can only be a well-formed prefix tsquery of letters and digits.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{"123 Maple Street", "12 Map", "Mapel Stret", "a & b | !c", "'); DROP TABLE x; --", "\x00\xff", "ǅ İ ß", ":*:*", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseSearch(s)
		if err != nil {
			return
		}
		if len(q.Terms) == 0 || len(q.Terms) > MaxSearchTerms {
			t.Fatalf("terms %q", q.Terms)
		}
		if ts := q.TSQuery(); !tsqueryShape.MatchString(ts) {
			t.Fatalf("unsafe tsquery %q from %q", ts, s)
		}
		if !utf8.ValidString(q.Text) {
			t.Fatalf("invalid UTF-8 text %q", q.Text)
		}
		for _, term := range q.Terms {
			if utf8.RuneCountInString(term) > MaxTermRunes {
				t.Fatalf("term too long: %q", term)
			}
		}
	})
}
