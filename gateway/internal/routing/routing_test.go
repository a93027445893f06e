package routing_test

import (
	"strings"
	"testing"

	"reos.dev/gateway/internal/routing"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	table, err := routing.NewTable(routing.DefaultRoutes())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
	}{
		{"/api/v1/users", "identity"},
		{"/api/v1/users/", "identity"},
		{"/api/v1/users/42/roles", "identity"},
		{"/api/v1/usersx", ""},
		{"/api/v1/user", ""},
		{"/api/v1/admin/users", "identity"},
		{"/api/v1/admin/usersx", "platform"},
		{"/api/v1/admin/dlq/1/replay", "platform"},
		{"/api/v1/.well-known/jwks.json", "identity"},
		{"/api/v1/search/properties", "property"},
		{"/api/v1/search/campaigns/x", "outreach"},
		{"/api/v1/search", ""},
		{"/api/v1/portfolio/1/holdings", "portfolio"},
		{"/api/v1", ""},
		{"/api/v1/", ""},
		{"/", ""},
		{"", ""},
		{"/api/v1/users" + strings.Repeat("/x", 10000), "identity"},
		{strings.Repeat("/x", 10000), ""},
	}
	for _, tc := range tests {
		name := tc.path
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, ok := table.Lookup(tc.path)
			got := ""
			if ok {
				got = r.Upstream
			}
			if got != tc.want {
				t.Errorf("Lookup(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestNewTableRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		routes []routing.Route
	}{
		{"empty", nil},
		{"no slash", []routing.Route{{Prefix: "api", Upstream: "a"}}},
		{"trailing slash", []routing.Route{{Prefix: "/api/", Upstream: "a"}}},
		{"dot segment", []routing.Route{{Prefix: "/api/../x", Upstream: "a"}}},
		{"double slash", []routing.Route{{Prefix: "/api//x", Upstream: "a"}}},
		{"no upstream", []routing.Route{{Prefix: "/api"}}},
		{"duplicate", []routing.Route{{Prefix: "/a", Upstream: "x"}, {Prefix: "/a", Upstream: "y"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := routing.NewTable(tc.routes); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestUpstreams(t *testing.T) {
	t.Parallel()
	table, _ := routing.NewTable(routing.DefaultRoutes())
	got := strings.Join(table.Upstreams(), ",")
	if got != "crm,identity,outreach,platform,portfolio,property" {
		t.Errorf("Upstreams() = %s", got)
	}
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]bool{
		"/api/v1/users":       true,
		"/api/v1/users/":      true,
		"/":                   true,
		"":                    false,
		"api":                 false,
		"/api//users":         false,
		"/api/v1/users//":     false,
		"/api/./users":        false,
		"/api/../users":       false,
		"/api/v1/..":          false,
		"/api/v1/.":           false,
		"/api/v1/...":         true,
		"/api/v1/.well-known": true,
	} {
		if got := routing.Canonical(path); got != want {
			t.Errorf("Canonical(%q) = %t, want %t", path, got, want)
		}
	}
}

func TestPublic(t *testing.T) {
	t.Parallel()
	p := routing.DefaultPublic()
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"POST", "/api/v1/auth/login", true},
		{"GET", "/api/v1/auth/login", false},
		{"POST", "/api/v1/auth/login/", false},
		{"POST", "/api/v1/auth/me", false},
		{"GET", "/api/v1/.well-known/jwks.json", true},
		{"HEAD", "/api/v1/.well-known/jwks.json", true},
		{"DELETE", "/api/v1/.well-known/jwks.json", false},
		{"POST", "/api/v1/compliance/unsubscribe", true},
		{"GET", "/api/v1/compliance/unsubscribe", true},
		{"HEAD", "/api/v1/compliance/unsubscribe", true},
		{"DELETE", "/api/v1/compliance/unsubscribe", false},
		{"GET", "/api/v1/compliance/dnc-list", false},
		{"POST", "/api/v1/outreach/webhooks", true},
		{"POST", "/api/v1/outreach/webhooks/twilio", true},
		{"POST", "/api/v1/outreach/webhooks/", false},
		{"GET", "/api/v1/outreach/webhooks/twilio", false},
		{"POST", "/api/v1/outreach/webhooksx/twilio", false},
		{"POST", "/api/v1/outreach/email", false},
		{"OPTIONS", "/api/v1/auth/login", false},
		{"GET", "/api/v1/files/property/images/x", true},
		{"HEAD", "/api/v1/files/property/images/x", true},
		{"POST", "/api/v1/files/property/images/x", false},
		{"GET", "/api/v1/files", false},
		{"GET", "/api/v1/files/", false},
		{"GET", "/api/v1/filesystem/x", false},
	} {
		if got := p.Allows(tc.method, tc.path); got != tc.want {
			t.Errorf("Allows(%s %s) = %t, want %t", tc.method, tc.path, got, tc.want)
		}
	}
}

// Not parallel: AllocsPerRun refuses to run in parallel tests.
func TestMatchingDoesNotAllocate(t *testing.T) {
	table, err := routing.NewTable(routing.DefaultRoutes())
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { table.Lookup("/api/v1/admin/users/123/reset-password") }); n != 0 {
		t.Errorf("Lookup allocates %v times", n)
	}
	creds := routing.DefaultCredentials()
	if n := testing.AllocsPerRun(100, func() { creds.Contains("/api/v1/admin/users/123/reset-password") }); n != 0 {
		t.Errorf("PathSet.Contains allocates %v times", n)
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	creds := routing.DefaultCredentials()
	tests := []struct {
		path string
		want bool
	}{
		{"/api/v1/auth/login", true},
		{"/api/v1/auth/login/", true},
		{"/api/v1/auth/register", true},
		{"/api/v1/auth/refresh", true},
		{"/api/v1/auth/password", true},
		{"/api/v1/admin/users/0190a0f0-0000-7000-8000-000000000001/reset-password", true},
		{"/api/v1/admin/users/x/reset-password/", true},
		{"/api/v1/auth/me", false},
		{"/api/v1/auth/logout", false},
		{"/api/v1/auth", false},
		{"/api/v1/auth/login/extra", false},
		{"/api/v1/auth/loginx", false},
		{"/api/v1/admin/users//reset-password", false},
		{"/api/v1/admin/users/x/y/reset-password", false},
		{"/api/v1/admin/users/x/roles", false},
		{"/api/v1/admin/users/reset-password", false},
		{"api/v1/auth/login", false},
		{"/", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := creds.Contains(tc.path); got != tc.want {
			t.Errorf("Contains(%q) = %t, want %t", tc.path, got, tc.want)
		}
	}
	for _, bad := range []string{"", "x", "/a/", "/a//b", "/a/../b"} {
		if _, err := routing.NewPathSet(bad); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
}

func TestOnlyAuthRoutesAreSecret(t *testing.T) {
	t.Parallel()
	for _, rt := range routing.DefaultRoutes() {
		if want := rt.Prefix == "/api/v1/auth"; rt.Secret != want {
			t.Errorf("%s: Secret = %t, want %t", rt.Prefix, rt.Secret, want)
		}
	}
}
