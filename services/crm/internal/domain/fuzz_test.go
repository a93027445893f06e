package domain

import (
	"strings"
	"testing"
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
