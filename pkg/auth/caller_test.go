package auth_test

import (
	"context"
	"errors"
	"testing"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
)

func TestCallerWith(t *testing.T) {
	t.Parallel()
	org := "01900000-0000-7000-8000-000000000001"
	tests := []struct {
		name string
		ctx  context.Context
		perm string
		want error
	}{
		{"no principal", context.Background(), "leads:read", apperr.ErrUnauthorized},
		{"org not a uuid", auth.WithPrincipal(context.Background(), auth.Principal{UserID: "u", OrgID: "x"}), "leads:read", apperr.ErrUnauthorized},
		{"lacks permission", auth.WithPrincipal(context.Background(), auth.Principal{UserID: "u", OrgID: org, Perms: []string{"leads:read"}}), "leads:write", apperr.ErrForbidden},
		{"holds it by wildcard", auth.WithPrincipal(context.Background(), auth.Principal{UserID: "u", OrgID: org, Perms: []string{"leads:*"}}), "leads:write", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := auth.CallerWith(tt.ctx, tt.perm)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("CallerWith = %+v, %v; want %v", p, err, tt.want)
			}
			if err == nil && p.UserID != "u" {
				t.Fatalf("principal = %+v", p)
			}
		})
	}
}
