// Package webhookhttp sends webhooks out: the SSRF guard every connection
// goes through, and the sender that signs a message (Standard Webhooks),
// posts it and classifies the answer.
package webhookhttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrBlockedAddress is why a connection to an internal address was refused.
var ErrBlockedAddress = errors.New("webhook target resolves to an address that is not allowed")

// blocked are the ranges a webhook may never reach besides what netip's
// predicates name (loopback, private, link-local, multicast, unspecified):
// "this network", shared address space (CGNAT, also Alibaba's metadata
// 100.100.100.200), IETF protocol assignments, the documentation and
// benchmarking nets, reserved and broadcast, and NAT64's well-known prefix
// (which embeds an IPv4 address). Cloud metadata (169.254.169.254,
// fd00:ec2::254) is link-local or private.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Guard refuses connections to internal addresses. It checks the address
// actually dialled (net.Dialer.Control runs after name resolution, for
// each address tried), so a name that resolves to a public address when
// checked and to an internal one when connecting (DNS rebinding) is still
// refused. Allow lists the nets let through anyway: for development only
// (a receiver on 127.0.0.1).
type Guard struct {
	allow []netip.Prefix
}

// NewGuard returns a guard letting allow through.
func NewGuard(allow []netip.Prefix) *Guard { return &Guard{allow: allow} }

// Check returns ErrBlockedAddress for an address a webhook may not reach.
func (g *Guard) Check(addr netip.Addr) error {
	addr = addr.Unmap()
	for _, p := range g.allow {
		if p.Contains(addr) {
			return nil
		}
	}
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() || (addr.Is4() && addr == netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, addr)
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return fmt.Errorf("%w: %s", ErrBlockedAddress, addr)
		}
	}
	return nil
}

// control is the net.Dialer hook: address is the resolved "ip:port".
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrBlockedAddress, address)
	}
	return g.Check(ap.Addr())
}

// Transport returns an HTTP transport whose every connection is checked by
// the guard, with no proxy (a proxy would be dialled instead of the
// target and hide it).
func (g *Guard) Transport(connectTimeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: connectTimeout, Control: g.control}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
	}
}
