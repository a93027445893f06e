package clientip_test

import (
	"net/netip"
	"testing"

	"reos.dev/gateway/internal/clientip"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	r, err := clientip.New([]string{"127.0.0.1/32", "::1", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"direct client, no header", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"direct client spoofing the header", "203.0.113.5:4000", []string{"1.1.1.1"}, "203.0.113.5"},
		{"nginx on loopback", "127.0.0.1:5000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"client-supplied prefix ignored", "127.0.0.1:5000", []string{"6.6.6.6, 203.0.113.7"}, "203.0.113.7"},
		{"chain of trusted proxies", "127.0.0.1:5000", []string{"203.0.113.7, 10.1.2.3, 10.0.0.9"}, "203.0.113.7"},
		{"several header lines", "127.0.0.1:5000", []string{"6.6.6.6", "203.0.113.7, 10.0.0.1"}, "203.0.113.7"},
		{"all trusted", "127.0.0.1:5000", []string{"10.0.0.1"}, "10.0.0.1"},
		{"garbage after trusted hops", "127.0.0.1:5000", []string{"junk, 10.0.0.1"}, "10.0.0.1"},
		{"ipv6 peer", "[::1]:80", []string{"2001:db8::7"}, "2001:db8::7"},
		{"ipv4-mapped", "127.0.0.1:1", []string{"::ffff:203.0.113.8"}, "203.0.113.8"},
		{"hop with port", "127.0.0.1:1", []string{"203.0.113.9:5555"}, "203.0.113.9"},
		{"bracketed v6 hop", "127.0.0.1:1", []string{"[2001:db8::9]"}, "2001:db8::9"},
		{"empty entries", "127.0.0.1:1", []string{" , ,203.0.113.10, "}, "203.0.113.10"},
		{"bad remote", "nonsense", []string{"203.0.113.7"}, "invalid IP"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := r.ClientIP(tc.remote, tc.xff).String(); got != tc.want {
				t.Errorf("ClientIP(%q, %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
			}
		})
	}
}

func TestNewRejectsBadCIDRs(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"nonsense", "10.0.0.0/33", "1.2.3"} {
		if _, err := clientip.New([]string{c}); err == nil {
			t.Errorf("New(%q) accepted", c)
		}
	}
	r, err := clientip.New([]string{"::ffff:10.0.0.0/104"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Trusted(netip.MustParseAddr("10.1.1.1")) {
		t.Error("a v4-mapped CIDR does not match plain IPv4")
	}
}

// Not parallel: AllocsPerRun refuses to run in parallel tests.
func TestClientIPDoesNotAllocate(t *testing.T) {
	r, err := clientip.New([]string{"127.0.0.1/32", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { r.ClientIP("127.0.0.1:5000", []string{"203.0.113.7, 10.0.0.1"}) }); n != 0 {
		t.Errorf("ClientIP allocates %v times", n)
	}
}
