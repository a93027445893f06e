// Package clientip finds the address of the client behind trusted proxies.
//
// X-Forwarded-For is honoured only when the direct peer is a trusted proxy
// (TRUSTED_PROXIES, by default loopback, where nginx runs). The header is
// then read from the right: each hop appended by a trusted proxy is skipped,
// and the first untrusted address is the client. Everything to its left was
// written by the client itself and cannot be believed, which is why the
// left-most entry is never used unless every hop is trusted.
package clientip

import (
	"fmt"
	"net/netip"
	"strings"
)

// DefaultTrusted returns the proxies trusted when none are configured:
// loopback, where the local nginx runs.
func DefaultTrusted() []string { return []string{"127.0.0.1/32", "::1/128"} }

// Resolver extracts client addresses. It is safe for concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// New parses the trusted proxy CIDRs (a bare address means a single host).
func New(cidrs []string) (*Resolver, error) {
	r := &Resolver{}
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !strings.Contains(c, "/") {
			a, err := netip.ParseAddr(c)
			if err != nil {
				return nil, fmt.Errorf("clientip: %q is neither a CIDR nor an address", c)
			}
			a = a.Unmap()
			r.trusted = append(r.trusted, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("clientip: %q is not a CIDR: %v", c, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r, nil
}

// Trusted reports whether addr is a trusted proxy.
func (r *Resolver) Trusted(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	for _, p := range r.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// PeerAddr parses a net/http RemoteAddr ("ip:port", "[ip]:port" or a bare
// ip); the zero Addr when it cannot.
func PeerAddr(remoteAddr string) netip.Addr {
	a, ok := parseHop(remoteAddr)
	if !ok {
		return netip.Addr{}
	}
	return a
}

// ClientIP returns the client's address given the peer's RemoteAddr and the
// X-Forwarded-For header values (in order of appearance). The zero Addr
// means the peer address itself is unusable.
func (r *Resolver) ClientIP(remoteAddr string, forwardedFor []string) netip.Addr {
	addr := PeerAddr(remoteAddr)
	if !r.Trusted(addr) {
		return addr
	}
	for i := len(forwardedFor) - 1; i >= 0; i-- {
		v := forwardedFor[i]
		for v != "" {
			var hop string
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				hop, v = v[j+1:], v[:j]
			} else {
				hop, v = v, ""
			}
			hop = strings.TrimSpace(hop)
			if hop == "" {
				continue
			}
			a, ok := parseHop(hop)
			if !ok {
				// Garbage can only come from the client's side of the
				// chain; the last trusted hop is the best we know.
				return addr
			}
			addr = a
			if !r.Trusted(a) {
				return a
			}
		}
	}
	return addr
}

// parseHop reads "ip", "ip:port", "[ipv6]" or "[ipv6]:port". It picks the
// parser by shape first, because a failed parse allocates its error and
// RemoteAddr ("ip:port") is parsed on every request.
func parseHop(s string) (netip.Addr, bool) {
	switch {
	case s == "":
		return netip.Addr{}, false
	case s[0] == '[':
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return ap.Addr().Unmap().WithZone(""), true
		}
		if s[len(s)-1] == ']' {
			if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
				return a.Unmap().WithZone(""), true
			}
		}
		return netip.Addr{}, false
	case strings.Count(s, ":") == 1:
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return ap.Addr().Unmap().WithZone(""), true
		}
		return netip.Addr{}, false
	default:
		if a, err := netip.ParseAddr(s); err == nil {
			return a.Unmap().WithZone(""), true
		}
		return netip.Addr{}, false
	}
}
