package tests

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"reos.dev/gateway/internal/clientip"
	"reos.dev/pkg/idempotency"
)

func FuzzIdempotencyKeyHeader(f *testing.F) {
	for _, s := range []string{"", "k", "order-2026-11-29-0001", "has space", "\x00", "é", strings.Repeat("a", 255), strings.Repeat("a", 256), "a,b", `"quoted"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		r, err := http.NewRequest(http.MethodPost, "http://gw/api/v1/leads", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set(idempotency.HeaderKey, key)
		if !idempotency.Applies(r) {
			t.Fatal("a POST with the header is not subject to idempotency")
		}
		got := r.Header.Get(idempotency.HeaderKey)
		err = idempotency.ValidateKey(got)
		visible := len(got) >= 1 && len(got) <= idempotency.MaxKeyLength
		for i := 0; i < len(got); i++ {
			if got[i] < 0x21 || got[i] > 0x7e {
				visible = false
			}
		}
		if (err == nil) != visible {
			t.Fatalf("ValidateKey(%q) = %v, want valid=%t", got, err, visible)
		}
	})
}

func FuzzForwardedFor(f *testing.F) {
	seeds := []struct{ remote, xff string }{
		{"127.0.0.1:5000", "203.0.113.9"},
		{"127.0.0.1:5000", "203.0.113.9, 10.0.0.1, 127.0.0.1"},
		{"[::1]:80", "2001:db8::1, ::1"},
		{"198.51.100.1:1", "1.1.1.1"},
		{"127.0.0.1:1", "garbage, ,,, [::1]:8080, 1.2.3.4:55"},
		{"not-an-addr", ""},
		{"127.0.0.1:1", "::ffff:127.0.0.1, fe80::1%eth0"},
		{"", ",,,"},
	}
	for _, s := range seeds {
		f.Add(s.remote, s.xff)
	}
	res, err := clientip.New([]string{"127.0.0.0/8", "::1/128", "10.0.0.0/8"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		peer := clientip.PeerAddr(remote)
		got := res.ClientIP(remote, []string{xff, xff})
		if !res.Trusted(peer) && got != peer {
			t.Fatalf("untrusted peer %v: client %v, want the peer itself", peer, got)
		}
		if got.IsValid() && (got.Is4In6() || got.Zone() != "") {
			t.Fatalf("client %v is not normalised", got)
		}
		if res.Trusted(peer) && got.IsValid() && got != peer && !hops(xff)[got] {
			t.Fatalf("client %v is neither the peer nor a hop of %q", got, xff)
		}
	})
}

// hops parses every entry of an X-Forwarded-For value the lenient way the
// resolver does, independently of it.
func hops(xff string) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for h := range strings.SplitSeq(xff, ",") {
		h = strings.TrimSpace(h)
		if a, err := netip.ParseAddr(h); err == nil {
			out[a.Unmap().WithZone("")] = true
		} else if ap, err := netip.ParseAddrPort(h); err == nil {
			out[ap.Addr().Unmap().WithZone("")] = true
		} else if len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
			if a, err := netip.ParseAddr(h[1 : len(h)-1]); err == nil {
				out[a.Unmap().WithZone("")] = true
			}
		}
	}
	return out
}
