// Package routing maps public API paths to the service that owns them.
//
// The table is static and lives in code (DefaultRoutes): which service owns a
// path is part of the architecture, not of the deployment. Deployment only
// says where each service runs (see package discovery).
package routing

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Upstream service names; they double as Consul service names and as the
// keys of GATEWAY_UPSTREAMS.
const (
	Identity  = "identity"
	Property  = "property"
	CRM       = "crm"
	Outreach  = "outreach"
	Portfolio = "portfolio"
	Platform  = "platform"
)

// APIPrefix is the root of every proxied path.
const APIPrefix = "/api/v1"

// Route sends every path under Prefix (on a segment boundary) to Upstream.
type Route struct {
	Prefix   string
	Upstream string
	// Secret marks paths whose requests or answers carry credentials
	// (passwords, tokens): the gateway never keeps their answers for an
	// idempotent replay, and tells every cache not to keep them either.
	Secret bool
}

// DefaultRoutes returns the platform's routing table.
func DefaultRoutes() []Route {
	r := func(upstream string, prefixes ...string) []Route {
		out := make([]Route, len(prefixes))
		for i, p := range prefixes {
			out[i] = Route{Prefix: APIPrefix + p, Upstream: upstream}
		}
		return out
	}
	return slices.Concat(
		[]Route{{Prefix: APIPrefix + "/auth", Upstream: Identity, Secret: true}},
		r(Identity, "/users", "/admin/users", "/teams", "/roles", "/permissions", "/.well-known"),
		r(Property, "/properties", "/listings", "/search/properties", "/jobs/property", "/files/property"),
		r(CRM, "/leads", "/deals", "/contacts", "/lead-sources", "/deal-stages", "/search/leads", "/jobs/crm", "/files/crm", "/assignment-rules", "/crm"),
		r(Outreach, "/campaigns", "/templates", "/outreach", "/compliance", "/search/campaigns", "/jobs/outreach"),
		r(Portfolio, "/portfolio", "/jobs/portfolio"),
		r(Platform, "/tasks", "/admin", "/jobs/platform", "/webhooks", "/events", "/storage", "/analytics", "/search/suggestions"),
	)
}

// Table finds the route of a path by longest prefix.
type Table struct {
	byPrefix  map[string]*Route
	maxLen    int
	upstreams []string
}

// NewTable validates routes: each prefix starts with "/", has no trailing
// slash, no empty, "." or ".." segment, and appears once.
func NewTable(routes []Route) (*Table, error) {
	if len(routes) == 0 {
		return nil, errors.New("routing: no routes")
	}
	t := &Table{byPrefix: make(map[string]*Route, len(routes))}
	for i := range routes {
		rt := routes[i]
		if err := validPrefix(rt.Prefix); err != nil {
			return nil, fmt.Errorf("routing: route %d: %w", i, err)
		}
		if rt.Upstream == "" {
			return nil, fmt.Errorf("routing: route %s has no upstream", rt.Prefix)
		}
		if _, dup := t.byPrefix[rt.Prefix]; dup {
			return nil, fmt.Errorf("routing: prefix %s appears twice", rt.Prefix)
		}
		t.byPrefix[rt.Prefix] = &rt
		t.maxLen = max(t.maxLen, len(rt.Prefix))
		if !slices.Contains(t.upstreams, rt.Upstream) {
			t.upstreams = append(t.upstreams, rt.Upstream)
		}
	}
	slices.Sort(t.upstreams)
	return t, nil
}

func validPrefix(p string) error {
	if !strings.HasPrefix(p, "/") || len(p) < 2 || strings.HasSuffix(p, "/") {
		return fmt.Errorf("prefix %q must start with / and not end with /", p)
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("prefix %q has an empty or dot segment", p)
		}
	}
	return nil
}

// Upstreams returns the distinct upstream names, sorted.
func (t *Table) Upstreams() []string { return slices.Clone(t.upstreams) }

// Lookup returns the route with the longest prefix that matches path on a
// segment boundary: /api/v1/users matches /api/v1/users and
// /api/v1/users/x but not /api/v1/usersx. It does not allocate.
func (t *Table) Lookup(path string) (*Route, bool) {
	p := path
	// No prefix is longer than maxLen, so start at the last boundary that
	// could match; this also bounds the work for absurdly deep paths.
	if len(p) > t.maxLen {
		i := strings.LastIndexByte(p[:t.maxLen+1], '/')
		if i <= 0 {
			return nil, false
		}
		p = p[:i]
	}
	for {
		if r, ok := t.byPrefix[p]; ok {
			return r, true
		}
		i := strings.LastIndexByte(p, '/')
		if i <= 0 {
			return nil, false
		}
		p = p[:i]
	}
}

// Canonical reports whether path is in the form the services will route
// it: absolute, with no empty, "." or ".." segment. The gateway refuses
// other paths so that what it authorises, throttles and routes is exactly
// what the service sees (a path such as /api/v1/auth/../admin would
// otherwise be routed as /api/v1/auth and cleaned to /api/v1/admin later).
// A single trailing slash is allowed.
func Canonical(path string) bool {
	if path == "" || path[0] != '/' {
		return false
	}
	rest := strings.TrimSuffix(path[1:], "/")
	if rest == "" {
		return true
	}
	for len(rest) > 0 {
		i := strings.IndexByte(rest, '/')
		seg := rest
		if i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		if i >= 0 && rest == "" {
			return false // "//" at the end: "a//" trimmed one slash only
		}
	}
	return true
}

// methodBit maps a method to a bit of a public-route mask.
func methodBit(method string) uint8 {
	switch method {
	case http.MethodGet:
		return 1
	case http.MethodHead:
		return 2
	case http.MethodPost:
		return 4
	default:
		return 0
	}
}

// Public is the list of proxied routes that need no token: exact paths, and
// path prefixes (on a segment boundary), with the methods allowed on them.
// Everything else under /api/v1 requires a valid access token at the gateway.
type Public struct {
	exact    map[string]uint8
	prefixes map[string]uint8
}

// DefaultPublic returns the platform's public routes: registration, login,
// refresh and logout, the JWKS, the unsubscribe link target (GET shows the
// confirmation page, POST unsubscribes: the signed token in the link is the
// credential), the email/SMS providers' delivery webhooks at
// /outreach/webhooks and /outreach/webhooks/{provider} (which carry their
// own signature, checked by outreach) and the services' stored files under
// /files/ (reached through expiring signed URLs that the owning service
// checks).
func DefaultPublic() *Public {
	const get, post = 1 | 2, 4
	return &Public{prefixes: map[string]uint8{APIPrefix + "/files": get, APIPrefix + "/outreach/webhooks": post}, exact: map[string]uint8{
		APIPrefix + "/auth/register":          post,
		APIPrefix + "/auth/login":             post,
		APIPrefix + "/auth/refresh":           post,
		APIPrefix + "/auth/logout":            post,
		APIPrefix + "/.well-known/jwks.json":  get,
		APIPrefix + "/compliance/unsubscribe": get | post,
		APIPrefix + "/outreach/webhooks":      post,
	}}
}

// Allows reports whether method and path need no token.
func (p *Public) Allows(method, path string) bool {
	bit := methodBit(method)
	if bit == 0 {
		return false
	}
	if p.exact[path]&bit != 0 {
		return true
	}
	for prefix, mask := range p.prefixes {
		if mask&bit != 0 && strings.HasPrefix(path, prefix+"/") && len(path) > len(prefix)+1 {
			return true
		}
	}
	return false
}

// PathSet is a set of paths, whatever the method. A pattern is an exact
// path in which a segment written {name} stands for any one segment; a
// single trailing slash on the path is ignored, as the services' routers
// would not tell /a from /a/ for the purpose of what a request does.
type PathSet struct {
	patterns [][]string
}

// NewPathSet validates the patterns as NewTable validates prefixes.
func NewPathSet(patterns ...string) (*PathSet, error) {
	s := &PathSet{}
	for _, p := range patterns {
		if err := validPrefix(p); err != nil {
			return nil, fmt.Errorf("routing: path pattern: %w", err)
		}
		s.patterns = append(s.patterns, strings.Split(p[1:], "/"))
	}
	return s, nil
}

// DefaultCredentials returns the routes that take a credential that could
// be guessed or abused: registration and login (a password), refresh (a
// refresh token), a password change and an admin's password reset (which
// hands out a temporary password). The strict auth limit applies to them,
// per client address and per account, and their answers are never kept
// for an idempotent replay. Logout and /auth/me are not among them: they
// follow the ordinary limits.
func DefaultCredentials() *PathSet {
	s, err := NewPathSet(
		APIPrefix+"/auth/register",
		APIPrefix+"/auth/login",
		APIPrefix+"/auth/refresh",
		APIPrefix+"/auth/password",
		APIPrefix+"/admin/users/{id}/reset-password",
	)
	if err != nil {
		panic(err) // the literals above are valid
	}
	return s
}

// Contains reports whether path matches one of the patterns. It does not
// allocate.
func (s *PathSet) Contains(path string) bool {
	if len(path) < 2 || path[0] != '/' {
		return false
	}
	path = strings.TrimSuffix(path[1:], "/")
	for _, segs := range s.patterns {
		if matchSegments(segs, path) {
			return true
		}
	}
	return false
}

func matchSegments(segs []string, path string) bool {
	for i, seg := range segs {
		j := strings.IndexByte(path, '/')
		cur := path
		if j >= 0 {
			cur, path = path[:j], path[j+1:]
		} else {
			path = ""
		}
		last := i == len(segs)-1
		if cur == "" || (last && j >= 0) || (!last && j < 0) {
			return false
		}
		if seg != cur && !(len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}') {
			return false
		}
	}
	return true
}
