package domain

import (
	"errors"
	"testing"

	"reos.dev/pkg/apperr"
)

// TestCheckCanActOn is written against an independent table: who may act on
// whom, with the wildcard rules of Grants.
func TestCheckCanActOn(t *testing.T) {
	t.Parallel()
	admin := []string{"*"}
	usersAdmin := []string{"users:admin", "users:read"}
	usersWrite := []string{"users:read", "users:write"}
	sales := []string{"leads:read", "leads:write", "users:read"}
	tests := []struct {
		name           string
		caller, target []string
		allowed        bool
	}{
		{"a full admin acts on a full admin", admin, admin, true},
		{"a full admin acts on anyone", admin, sales, true},
		{"users:admin alone on a full admin", usersAdmin, admin, false},
		{"users:write alone on a full admin", usersWrite, admin, false},
		{"users:admin on a salesperson it does not cover", usersAdmin, sales, false},
		{"users:admin on a plain reader", usersAdmin, []string{"users:read"}, true},
		{"a target with no permissions", usersWrite, nil, true},
		{"a resource wildcard covers that resource's actions", []string{"leads:*", "users:read"}, sales, true},
		{"explicit actions do not cover the resource wildcard", []string{"leads:read", "leads:write", "leads:admin"}, []string{"leads:*"}, false},
		{"a resource wildcard covers the same wildcard", []string{"leads:*"}, []string{"leads:*"}, true},
		{"a resource wildcard does not cover another resource", []string{"leads:*"}, []string{"deals:read"}, false},
		{"a resource wildcard does not cover everything", []string{"leads:*"}, admin, false},
		{"equal sets", sales, sales, true},
		{"the target holds one more", sales, append([]string{"deals:read"}, sales...), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckCanActOn(tc.caller, tc.target)
			if tc.allowed {
				if err != nil {
					t.Fatalf("CheckCanActOn(%v, %v) = %v, want allowed", tc.caller, tc.target, err)
				}
				return
			}
			if !errors.Is(err, apperr.ErrForbidden) {
				t.Fatalf("CheckCanActOn(%v, %v) = %v, want forbidden", tc.caller, tc.target, err)
			}
			if e, _ := apperr.As(err); e.Reason != ReasonTargetOutranksCaller {
				t.Errorf("reason = %q, want %q", e.Reason, ReasonTargetOutranksCaller)
			}
		})
	}
}

func TestHoldsEverything(t *testing.T) {
	t.Parallel()
	tests := []struct {
		perms []string
		want  bool
	}{
		{[]string{"*"}, true},
		{[]string{"leads:read", "*"}, true},
		{[]string{"admin:*", "users:admin"}, false},
		{nil, false},
	}
	for _, tc := range tests {
		if got := HoldsEverything(tc.perms); got != tc.want {
			t.Errorf("HoldsEverything(%v) = %v, want %v", tc.perms, got, tc.want)
		}
	}
}
