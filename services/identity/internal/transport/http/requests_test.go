package http

import (
	"net/http/httptest"
	"testing"
)

// TestClientIPIsTheAddressTheGatewayVouchesFor: the gateway overwrites
// X-Real-IP with the client it resolved on every request it forwards;
// X-Forwarded-For's first entry is whatever the client wrote there.
func TestClientIPIsTheAddressTheGatewayVouchesFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		remote  string
		headers map[string]string
		want    string
	}{
		{name: "gateway's X-Real-IP over a spoofed first X-Forwarded-For entry", remote: "127.0.0.1:4000",
			headers: map[string]string{"X-Real-IP": "203.0.113.7", "X-Forwarded-For": "6.6.6.6, 203.0.113.7, 127.0.0.1"},
			want:    "203.0.113.7"},
		{name: "IPv6", remote: "[::1]:4000", headers: map[string]string{"X-Real-IP": "2001:db8::7"}, want: "2001:db8::7"},
		{name: "IPv4-mapped IPv6 is unmapped", remote: "127.0.0.1:4000", headers: map[string]string{"X-Real-IP": "::ffff:203.0.113.7"}, want: "203.0.113.7"},
		{name: "X-Forwarded-For alone is not believed", remote: "127.0.0.1:4000",
			headers: map[string]string{"X-Forwarded-For": "6.6.6.6"}, want: "127.0.0.1"},
		{name: "garbage X-Real-IP falls back to the peer", remote: "192.0.2.1:4000",
			headers: map[string]string{"X-Real-IP": "not-an-ip"}, want: "192.0.2.1"},
		{name: "no header: the peer", remote: "192.0.2.1:4000", want: "192.0.2.1"},
		{name: "unparsable peer and no header", remote: "pipe", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
			r.RemoteAddr = tc.remote
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if got := clientIP(r); got != tc.want {
				t.Errorf("clientIP = %q, want %q", got, tc.want)
			}
		})
	}
}
