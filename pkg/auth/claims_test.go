package auth

import (
	"context"
	"testing"
)

func TestPrincipalCan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		perms []string
		perm  string
		want  bool
	}{
		{"exact", []string{"properties:write"}, "properties:write", true},
		{"other action", []string{"properties:read"}, "properties:write", false},
		{"resource wildcard", []string{"properties:*"}, "properties:write", true},
		{"resource wildcard, nested action", []string{"properties:*"}, "properties:images:delete", true},
		{"resource wildcard, other resource", []string{"properties:*"}, "leads:read", false},
		{"resource wildcard, prefix of another resource", []string{"lead:*"}, "leads:read", false},
		{"resource wildcard, bare resource", []string{"properties:*"}, "properties", false},
		{"resource wildcard, empty action", []string{"properties:*"}, "properties:", false},
		{"admin:* is a resource wildcard only", []string{"admin:*"}, "properties:write", false},
		{"admin:* covers admin actions", []string{"admin:*"}, "admin:users", true},
		{"global wildcard", []string{"*"}, "campaigns:launch", true},
		{"bare :* grants nothing", []string{":*"}, ":x", false},
		{"wildcard only in grants", []string{"properties:read"}, "properties:*", false},
		{"wildcard requested, wildcard granted", []string{"properties:*"}, "properties:*", true},
		{"empty perm", []string{"*"}, "", false},
		{"no perms", nil, "properties:read", false},
		{"case sensitive", []string{"Properties:read"}, "properties:read", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := (Principal{Perms: tt.perms}).Can(tt.perm); got != tt.want {
				t.Fatalf("Can(%q) with %v = %v, want %v", tt.perm, tt.perms, got, tt.want)
			}
		})
	}
}

func TestClaimsPrincipal(t *testing.T) {
	t.Parallel()
	c := validClaims(TokenUseAccess)
	p := c.Principal()
	if p.UserID != c.Subject || p.OrgID != c.OrgID || p.Email != c.Email || !p.HasRole("agent") || !p.Can("properties:read") {
		t.Fatalf("Principal() = %+v from %+v", p, c)
	}
	p.Perms[0] = "changed"
	if c.Perms[0] == "changed" {
		t.Fatal("Principal shares its permission slice with the claims")
	}
}

func TestPrincipalContext(t *testing.T) {
	t.Parallel()
	if _, ok := PrincipalFrom(context.Background()); ok {
		t.Fatal("principal found in an empty context")
	}
	want := Principal{UserID: "u", OrgID: "o"}
	got, ok := PrincipalFrom(WithPrincipal(context.Background(), want))
	if !ok || got.UserID != "u" || got.OrgID != "o" {
		t.Fatalf("PrincipalFrom = %+v, %v", got, ok)
	}
}
