package compliance

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseKeyword: any body gives one of the four answers, never panics,
// and the answer does not change with surrounding whitespace or ASCII
// case, nor survive a word added after a keyword.
func FuzzParseKeyword(f *testing.F) {
	for _, s := range []string{"STOP", "stop.", " Opt  Out ", "unstop", "HELP?", "stop please", "", "ſtop", "STOP\u00a0", "OPT-OUT", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		k := ParseKeyword(body)
		switch k {
		case KeywordNone, KeywordStop, KeywordStart, KeywordHelp:
		default:
			t.Fatalf("ParseKeyword(%q) = %q", body, k)
		}
		if len(body) < maxKeywordBody-4 {
			if got := ParseKeyword(" \t" + body + "\n"); got != k {
				t.Fatalf("padding changed %q: %q → %q", body, k, got)
			}
		}
		if got := ParseKeyword(asciiSwapCase(body)); got != k {
			t.Fatalf("case changed %q: %q → %q", body, k, got)
		}
		if k != KeywordNone {
			if got := ParseKeyword(body + " please"); got != KeywordNone {
				t.Fatalf("%q + \" please\" = %q, want none", body, got)
			}
		}
	})
}

func asciiSwapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 32
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		}
	}
	return string(b)
}

// FuzzZonesFor: arbitrary stored zones, postal codes, countries and
// numbers never panic; every zone returned is a real IANA zone, none
// repeats, and with a valid org zone the answer is never empty.
func FuzzZonesFor(f *testing.F) {
	seeds := [][4]string{
		{"America/New_York", "", "", ""},
		{"", "10001-1234", "US", ""},
		{"", "K1A 0B1", "", ""},
		{"", "X0A0H0", "CA", ""},
		{"", "96799", "", "+16845551234"},
		{"", "10115", "", "+4930123456"},
		{"", "", "", "+18005550100"},
		{"", "", "", "+61881234567"},
		{"../etc/passwd", "0", "zz", "+"},
		{"Local", "99999", "US", "+1"},
		{"Etc/GMT+5", "A1A", "", "+999"},
		{"", "", "", "+1 (212) 555-0100"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, stored, postal, country, e164 string) {
		zs := ZonesFor(stored, postal, country, e164, "America/Chicago")
		if len(zs) == 0 {
			t.Fatalf("ZonesFor(%q, %q, %q, %q, org) is empty", stored, postal, country, e164)
		}
		seen := map[*time.Location]bool{}
		for _, z := range zs {
			if z == nil {
				t.Fatal("nil zone")
			}
			if seen[z] {
				t.Fatalf("%s twice", z)
			}
			seen[z] = true
			if name := z.String(); name == "Local" || strings.TrimSpace(name) == "" {
				t.Fatalf("zone %q", name)
			} else if _, err := time.LoadLocation(name); err != nil {
				t.Fatalf("zone %q does not load: %v", name, err)
			}
		}
		// And the gate copes with whatever came back.
		d := Decide(Facts{Channel: SMS, Address: "+1", Consent: ConsentGranted, Zones: zs}, noonNY)
		if d.Outcome == Defer && !d.NotBefore.After(noonNY) {
			t.Fatalf("deferred to %s, not after now", d.NotBefore)
		}
	})
}
