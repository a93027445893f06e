package domain

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@b.io", " A@B.IO ", "Jane <j@x.io>", "@", "a@b", "a@[1.2.3.4]", "\"q\"@x.io", "é@ü.de", "a@b.io\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, ok := NormalizeEmail(s)
		if !ok {
			return
		}
		if BadText(e) || e != strings.ToLower(strings.TrimSpace(e)) || len(e) > MaxEmailLen || !strings.Contains(e, "@") {
			t.Fatalf("NormalizeEmail(%q) = %q", s, e)
		}
		if again, ok := NormalizeEmail(e); !ok || again != e {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, e, again)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+14155550123", "(415) 555-0123", "020 7946 0958", "+44 20 7946 0958", "12", "", "+", "++1", "tel:+1-415-555-0123"} {
		f.Add(s, "US")
		f.Add(s, "GB")
	}
	f.Add("0301234567", "zz")
	f.Fuzz(func(t *testing.T, s, region string) {
		p, ok := NormalizePhone(s, region)
		if !ok {
			return
		}
		if !strings.HasPrefix(p, "+") || len(p) > 16 || len(p) < 8 {
			t.Fatalf("NormalizePhone(%q, %q) = %q", s, region, p)
		}
		if again, ok := NormalizePhone(p, "US"); !ok || again != p {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, p, again)
		}
	})
}

// FuzzNormalizeTag: a tag accepted is stored as it would be compared —
// normalising it again changes nothing — and is within the bounds the
// column and the contract promise.
func FuzzNormalizeTag(f *testing.F) {
	for _, s := range []string{"vip", " First-Time  Buyer ", "", " ", "a\tb", "in\u200bvisible", "ÄÖÜ", "\xff", strings.Repeat("x", 41), "İstanbul"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tag, ok := NormalizeTag(s)
		if !ok {
			return
		}
		if tag == "" || BadText(tag) || utf8.RuneCountInString(tag) > MaxTagLen || tag != strings.TrimSpace(tag) || strings.Contains(tag, "  ") {
			t.Fatalf("NormalizeTag(%q) = %q", s, tag)
		}
		if again, ok := NormalizeTag(tag); !ok || again != tag {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, tag, again, ok)
		}
	})
}

// FuzzCheckTimeZone: whatever the input, a zone accepted loads with
// time.LoadLocation, is not the server's Local, and is accepted again as
// it was stored.
func FuzzCheckTimeZone(f *testing.F) {
	for _, s := range []string{"America/New_York", " Europe/Berlin ", "UTC", "Local", "", "../../etc/passwd", "/etc/localtime", "america/new_york", "Etc/GMT+5", "posix/UTC", "Factory"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var fe FieldErrors
		tz := CheckTimeZone("time_zone", &s, &fe)
		if tz == nil {
			return
		}
		if fe.Err() != nil || *tz == "Local" || len(*tz) > MaxTimeZoneLen || strings.Contains(*tz, "..") {
			t.Fatalf("CheckTimeZone(%q) = %q (%v)", s, *tz, fe.Err())
		}
		if _, err := time.LoadLocation(*tz); err != nil {
			t.Fatalf("accepted %q, which does not load: %v", *tz, err)
		}
		if !ValidTimeZone(*tz) {
			t.Fatalf("stored %q is not accepted again", *tz)
		}
	})
}
