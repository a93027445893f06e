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

// gsmWidths maps every GSM-7 character to its septets.
var gsmWidths = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// Count says how body travels as SMS. A body of GSM-7 characters only is
// sent in septets, anything else in UCS-2 (UTF-16: a character outside
// the BMP, such as an emoji, takes two units). A character's units are
// never split across parts (an escape pair, a surrogate pair), so a part
// can hold one unit less than its size. An empty body is no message.
func Count(body string) Segments {
	if gsm7(body) {
		return segments("GSM-7", body, func(r rune) int { return gsmWidths[r] }, gsmSingle, gsmPart)
	}
	return segments("UCS-2", body, utf16Width, ucs2Single, ucs2Part)
}

func gsm7(body string) bool {
	for _, r := range body {
		if gsmWidths[r] == 0 {
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
