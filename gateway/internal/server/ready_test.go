package server

import (
	"net/http/httptest"
	"testing"

	"reos.dev/gateway/internal/clientip"
)

// TestDirect: the readiness detail is for a caller on the gateway's own
// port (loopback or a trusted address) that no proxy forwarded; anything
// carrying a forwarding header, or from an untrusted peer, gets the public
// answer.
func TestDirect(t *testing.T) {
	t.Parallel()
	ips, err := clientip.New([]string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ips: ips}
	tests := []struct {
		name   string
		remote string
		header map[string]string
		want   bool
	}{
		{"loopback", "127.0.0.1:50000", nil, true},
		{"loopback v6", "[::1]:50000", nil, true},
		{"loopback v4-mapped", "[::ffff:127.0.0.1]:50000", nil, true},
		{"trusted address", "10.1.2.3:50000", nil, true},
		{"untrusted peer", "203.0.113.9:50000", nil, false},
		{"untrusted peer claiming loopback", "203.0.113.9:50000", map[string]string{"X-Forwarded-For": "127.0.0.1"}, false},
		{"forwarded by nginx", "127.0.0.1:50000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, false},
		{"forwarded with an empty X-Forwarded-For", "127.0.0.1:50000", map[string]string{"X-Forwarded-For": ""}, false},
		{"X-Real-IP", "127.0.0.1:50000", map[string]string{"X-Real-IP": "203.0.113.9"}, false},
		{"Forwarded", "10.1.2.3:50000", map[string]string{"Forwarded": "for=203.0.113.9"}, false},
		{"unparsable peer", "somewhere", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/readyz", nil)
			r.RemoteAddr = tc.remote
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if got := s.direct(r); got != tc.want {
				t.Errorf("direct = %v, want %v", got, tc.want)
			}
		})
	}
}
