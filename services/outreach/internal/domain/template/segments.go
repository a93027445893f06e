package template

import "unicode/utf8"

// GSM 03.38's default alphabet (without the escape code) and the
// characters of its extension table that phones support, each sent as
// escape + character: two septets.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// Message sizes: septets for GSM-7, UTF-16 code units for UCS-2; a
// message in parts loses room to the concatenation header.
const (
	gsmSingle, gsmPart   = 160, 153
	ucs2Single, ucs2Part = 70, 67
)

// gsmTable holds every GSM-7 character's septets: an array for ASCII
// (nearly every text), a map for the rest.
type gsmTable struct {
	ascii [128]int8
	other map[rune]int8
}

var gsmWidths = func() *gsmTable {
	t := &gsmTable{other: map[rune]int8{}}
	set := func(chars string, w int8) {
		for _, r := range chars {
			if r < 128 {
				t.ascii[r] = w
			} else {
				t.other[r] = w
			}
		}
	}
	set(gsmBasic, 1)
	set(gsmExtension, 2)
	return t
}()

// width is the septets of r, 0 when GSM-7 cannot carry it.
func (t *gsmTable) width(r rune) int {
	if r >= 0 && r < 128 {
		return int(t.ascii[r])
	}
	return int(t.other[r])
}

// Count says how body travels as SMS. A body of GSM-7 characters only is
// sent in septets, anything else in UCS-2 (UTF-16: a character outside
// the BMP, such as an emoji, takes two units). A character's units are
// never split across parts (an escape pair, a surrogate pair), so a part
// can hold one unit less than its size. An empty body is no message.
func Count(body string) Segments {
	if gsm7(body) {
		return segments("GSM-7", body, gsmWidths.width, gsmSingle, gsmPart)
	}
	return segments("UCS-2", body, utf16Width, ucs2Single, ucs2Part)
}

func gsm7(body string) bool {
	for _, r := range body {
		if gsmWidths.width(r) == 0 {
			return false
		}
	}
	return true
}

func utf16Width(r rune) int {
	if r > 0xFFFF && r <= utf8.MaxRune {
		return 2
	}
	return 1
}

func segments(encoding, body string, width func(rune) int, single, part int) Segments {
	units := 0
	for _, r := range body {
		units += width(r)
	}
	s := Segments{Encoding: encoding, Units: units}
	switch {
	case units == 0:
		return s
	case units <= single:
		s.Count = 1
		return s
	}
	s.Count = 1
	used := 0
	for _, r := range body {
		w := width(r)
		if used+w > part {
			s.Count++
			used = 0
		}
		used += w
	}
	return s
}
