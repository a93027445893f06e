package proxy

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// NewTransport returns the transport shared by every upstream: HTTP/1.1 with
// keep-alive and a large idle pool per host, because the gateway sends many
// small concurrent requests to a handful of hosts and a new connection per
// request would cost more than the request. HTTP/2 to upstreams is off: one
// TCP connection would then carry every stream, so one slow upstream
// connection would stall unrelated requests, and h2c needs extra setup for
// no gain on a LAN. Compression is off so bodies pass through untouched.
func NewTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil, // never route service-to-service traffic via HTTP_PROXY
		DialContext:           dialer.DialContext,
		MaxIdleConns:          2048,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
}
