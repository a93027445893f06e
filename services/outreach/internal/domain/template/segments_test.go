package template

import (
	"strings"
	"testing"
)

// The expected values are worked out by hand from the GSM 03.38 tables
// and the 160/153, 70/67 sizes; see each case's note.
func TestCount(t *testing.T) {
	t.Parallel()
	a := func(n int) string { return strings.Repeat("a", n) }
	ya := func(n int) string { return strings.Repeat("я", n) }
	tests := []struct {
		name string
		body string
		want Segments
	}{
		{"empty is no message", "", Segments{"GSM-7", 0, 0}},
		{"short GSM", "Hi Jordan, call me @ 5pm!", Segments{"GSM-7", 1, 25}},
		{"160 GSM chars are one message", a(160), Segments{"GSM-7", 1, 160}},
		{"161 GSM chars are two", a(161), Segments{"GSM-7", 2, 161}},
		{"153*2 GSM chars are two parts", a(306), Segments{"GSM-7", 2, 306}},
		{"153*2+1 GSM chars are three", a(307), Segments{"GSM-7", 3, 307}},
		// 12 + 11 + 4 + 2 + 5 + 1 + 5 characters.
		{"non-ASCII characters of the basic set take one septet", "£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", Segments{"GSM-7", 1, 40}},
		{"each extension character takes two septets", "^{}\\[~]|€\f", Segments{"GSM-7", 1, 20}},
		{"158 + € is 160 septets: one message", a(158) + "€", Segments{"GSM-7", 1, 160}},
		{"159 + € is 161 septets: two", a(159) + "€", Segments{"GSM-7", 2, 161}},
		// 152 a fill part one to 152; € (2) would straddle 153 and moves to
		// part two: € + 151 a = 153; the last a opens part three.
		{"€ at a part boundary is not split", a(152) + "€" + a(152), Segments{"GSM-7", 3, 306}},
		{"€ just inside a part", a(151) + "€" + a(153), Segments{"GSM-7", 2, 306}},
		{"a backtick is not GSM-7", "`", Segments{"UCS-2", 1, 1}},
		{"lower-case ç is not in the basic set", a(69) + "ç", Segments{"UCS-2", 1, 70}},
		{"70 UCS-2 units are one message", ya(70), Segments{"UCS-2", 1, 70}},
		{"71 UCS-2 units are two", ya(71), Segments{"UCS-2", 2, 71}},
		{"67*2 UCS-2 units are two parts", ya(134), Segments{"UCS-2", 2, 134}},
		{"67*2+1 UCS-2 units are three", ya(135), Segments{"UCS-2", 3, 135}},
		{"an emoji is two UTF-16 units", "😀", Segments{"UCS-2", 1, 2}},
		{"69 + emoji is 71 units: two", ya(69) + "😀", Segments{"UCS-2", 2, 71}},
		// 66 я, the emoji (2) would straddle 67 and moves: 2 + 65 = 67; one
		// я left for part three.
		{"a surrogate pair at a part boundary is not split", ya(66) + "😀" + ya(66), Segments{"UCS-2", 3, 134}},
		// 159 a and an emoji: UCS-2, 161 units: 67 + 67 + 27.
		{"one emoji turns a GSM text into UCS-2", a(159) + "😀", Segments{"UCS-2", 3, 161}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Count(tc.body); got != tc.want {
				t.Fatalf("Count = %+v, want %+v", got, tc.want)
			}
		})
	}
}
