package postgres_test

import (
	"net/url"
	"strings"
	"testing"

	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
)

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  postgres.Config
		want string
	}{
		{name: "empty URL", cfg: postgres.Config{}, want: "URL is empty"},
		{name: "blank URL", cfg: postgres.Config{URL: "  "}, want: "URL is empty"},
		{name: "negative max conns", cfg: postgres.Config{URL: "postgres://x@127.0.0.1/db", MaxConns: -1}, want: "MaxConns is -1"},
		{name: "unparsable URL", cfg: postgres.Config{URL: "postgres://u:secret@[::1/db"}, want: "cannot parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool, err := postgres.Open(testContext(t), tt.cfg)
			if err == nil {
				pool.Close()
				t.Fatalf("Open(%+v) succeeded, want error containing %q", tt.cfg, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("Open error leaks the password: %q", err)
			}
		})
	}
}

func TestOpenDefaultsAndRole(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	role := testkit.UniqueName(t, "Open-Role") // needs quoting: upper case and a dash
	createRole(t, db, role)
	ctx := testContext(t)

	tests := []struct {
		name         string
		cfg          postgres.Config
		wantUser     string
		wantMaxConns int32
	}{
		{name: "defaults", cfg: postgres.Config{URL: db.URL}, wantUser: "reos", wantMaxConns: postgres.DefaultMaxConns},
		{name: "explicit max conns", cfg: postgres.Config{URL: db.URL, MaxConns: 3}, wantUser: "reos", wantMaxConns: 3},
		{name: "max conns from URL", cfg: postgres.Config{URL: withQuery(t, db.URL, "pool_max_conns", "7")}, wantUser: "reos", wantMaxConns: 7},
		{name: "set role", cfg: postgres.Config{URL: db.URL, Role: role, MaxConns: 2}, wantUser: role, wantMaxConns: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, err := postgres.Open(ctx, tt.cfg)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer pool.Close()
			if got := pool.Config().MaxConns; got != tt.wantMaxConns {
				t.Errorf("MaxConns = %d, want %d", got, tt.wantMaxConns)
			}
			var user string
			if err := pool.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil {
				t.Fatalf("current_user: %v", err)
			}
			if user != tt.wantUser {
				t.Errorf("current_user = %q, want %q", user, tt.wantUser)
			}
		})
	}
}

func TestOpenFailsOnMissingRole(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	pool, err := postgres.Open(testContext(t), postgres.Config{URL: db.URL, Role: "no_such_role_" + db.Name})
	if err == nil {
		pool.Close()
		t.Fatal("Open with a missing role succeeded")
	}
	if !strings.Contains(err.Error(), "set role") {
		t.Errorf("error = %q, want it to name the SET ROLE failure", err)
	}
}

func withQuery(t *testing.T, rawURL, key, value string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %s: %v", rawURL, err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
