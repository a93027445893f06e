package domain

import (
	"regexp"
	"slices"
	"testing"
	"unicode/utf8"
)

var textShape = regexp.MustCompile(`^[\p{L}\p{N}]+( [\p{L}\p{N}]+)*$`)

func TestParseSearch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		terms   []string
		text    string
		wantErr bool
	}{
		{name: "address", in: "123 Maple Street", terms: []string{"123", "maple", "street"}, text: "123 maple street"},
		{name: "partial", in: "12 Map", terms: []string{"12", "map"}, text: "12 map"},
		{name: "tsquery syntax is dropped", in: "maple' | !(oak) & <-> :*", terms: []string{"maple", "oak"}, text: "maple oak"},
		{name: "duplicates", in: "Oak oak OAK", terms: []string{"oak"}, text: "oak"},
		{name: "unicode", in: "Zürich Straße", terms: []string{"zürich", "straße"}, text: "zürich straße"},
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
			if !slices.Equal(q.Terms, tt.terms) || q.Text != tt.text {
				t.Errorf("ParseSearch(%q) = %q / %q, want %q / %q", tt.in, q.Terms, q.Text, tt.terms, tt.text)
			}
		})
	}
}

// FuzzParseSearch: whatever the input, the parser does not panic and what it
// returns can only be terms of letters and digits joined by single spaces.
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
		if !textShape.MatchString(q.Text) || !utf8.ValidString(q.Text) {
			t.Fatalf("unsafe search text %q from %q", q.Text, s)
		}
		for _, term := range q.Terms {
			if utf8.RuneCountInString(term) > MaxTermRunes {
				t.Fatalf("term too long: %q", term)
			}
		}
	})
}
