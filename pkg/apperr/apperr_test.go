package apperr_test

import (
	"errors"
	"fmt"
	"testing"

	"reos.dev/pkg/apperr"
)

func TestIsMatchesKindThroughWrapping(t *testing.T) {
	t.Parallel()
	errUserNotFound := apperr.NotFound("user_not_found", "user not found")
	wrapped := fmt.Errorf("load user: %w", fmt.Errorf("repo: %w", errUserNotFound))

	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"kind sentinel through two wraps", wrapped, apperr.ErrNotFound, true},
		{"other kind sentinel", wrapped, apperr.ErrConflict, false},
		{"same kind and reason", wrapped, apperr.NotFound("user_not_found", "x"), true},
		{"same kind other reason", wrapped, apperr.NotFound("team_not_found", "x"), false},
		{"plain error", errors.New("boom"), apperr.ErrNotFound, false},
		{"invalid sentinel", apperr.Invalid("email", "is required"), apperr.ErrInvalid, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Fatalf("errors.Is = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAsAndKindOf(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("ctx: %w", apperr.Invalid("email", "must be an email address"))
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.KindInvalid || e.Fields[0].Field != "email" {
		t.Fatalf("As = %+v, %v", e, ok)
	}
	if apperr.KindOf(errors.New("x")) != apperr.KindUnknown {
		t.Fatal("plain error must be KindUnknown")
	}
}

func TestWrapKeepsCauseButNotInMessageKind(t *testing.T) {
	t.Parallel()
	cause := errors.New("pg: connection refused")
	err := apperr.Wrap(cause, apperr.KindUnavailable, "db_down", "database unavailable")
	if !errors.Is(err, cause) || !errors.Is(err, apperr.ErrUnavailable) {
		t.Fatal("wrap must keep both the cause and the kind")
	}
}

func TestFieldsCollector(t *testing.T) {
	t.Parallel()
	var f apperr.Fields
	if f.Err() != nil {
		t.Fatal("empty collector must be nil")
	}
	f.Add("email", "is required")
	f.Add("password", "is too short")
	e, ok := apperr.As(f.Err())
	if !ok || len(e.Fields) != 2 || e.Kind != apperr.KindInvalid {
		t.Fatalf("got %+v", e)
	}
}
