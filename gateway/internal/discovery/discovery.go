// Package discovery tells the gateway where each upstream service runs.
//
// Two resolvers sit behind one interface: Static, from GATEWAY_UPSTREAMS
// (the local stack and tests), and Consul, which watches the healthy
// instances of every service with blocking queries (compose and k8s). The
// gateway uses Consul when CONSUL_HTTP_ADDR is set, otherwise Static; the
// two are not mixed, so an address never silently comes from the "wrong"
// source.
package discovery

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
)

// ErrNotConfigured means the service has no address at all in this
// deployment (a route whose service is not deployed yet).
var ErrNotConfigured = errors.New("discovery: service not configured")

// ErrNoInstances means the service is known but has no healthy instance.
var ErrNoInstances = errors.New("discovery: no healthy instance")

// Resolver picks a base URL (scheme://host:port, no path) for a service.
// Implementations balance load round-robin over the instances they know
// and are safe for concurrent use. The returned URL must not be modified.
type Resolver interface {
	Resolve(service string) (*url.URL, error)
}

// instances is an immutable list of base URLs with a round-robin cursor.
type instances struct {
	urls []*url.URL
	next atomic.Uint64
}

func (in *instances) pick() (*url.URL, bool) {
	if in == nil || len(in.urls) == 0 {
		return nil, false
	}
	if len(in.urls) == 1 {
		return in.urls[0], true
	}
	n := in.next.Add(1) - 1
	return in.urls[n%uint64(len(in.urls))], true
}

// Static resolves from a fixed map.
type Static struct {
	services map[string]*instances
}

// ParseStatic reads GATEWAY_UPSTREAMS: comma-separated name=url pairs, where
// url may list several instances separated by '|'
// ("identity=http://127.0.0.1:8101,property=http://a:8102|http://b:8102").
// known, when non-empty, lists the acceptable names so that a typo fails at
// start instead of making a route answer 503.
func ParseStatic(spec string, known []string) (*Static, error) {
	s := &Static{services: map[string]*instances{}}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, raw, ok := strings.Cut(item, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("discovery: %q is not name=url", item)
		}
		if len(known) > 0 && !slices.Contains(known, name) {
			return nil, fmt.Errorf("discovery: unknown service %q (known: %s)", name, strings.Join(known, ", "))
		}
		if _, dup := s.services[name]; dup {
			return nil, fmt.Errorf("discovery: service %q listed twice", name)
		}
		in := &instances{}
		for one := range strings.SplitSeq(raw, "|") {
			u, err := ParseBaseURL(strings.TrimSpace(one))
			if err != nil {
				return nil, fmt.Errorf("discovery: %s: %w", name, err)
			}
			in.urls = append(in.urls, u)
		}
		s.services[name] = in
	}
	return s, nil
}

// ParseBaseURL accepts an absolute http(s) URL with a host and no path,
// query or fragment (a trailing "/" is tolerated).
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", raw)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q must be an absolute http(s) URL", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q must be scheme://host:port with no path, query or credentials", raw)
	}
	u.Path = ""
	return u, nil
}

// Resolve implements Resolver.
func (s *Static) Resolve(service string) (*url.URL, error) {
	in, ok := s.services[service]
	if !ok {
		return nil, ErrNotConfigured
	}
	u, _ := in.pick()
	return u, nil
}

// Services returns the configured service names, sorted.
func (s *Static) Services() []string {
	out := make([]string, 0, len(s.services))
	for n := range s.services {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
