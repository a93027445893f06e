package postgres_test

import (
	"errors"
	"fmt"
	"testing"

	"reos.dev/pkg/postgres"
	"reos.dev/pkg/testkit"
)

func TestErrorClassifiers(t *testing.T) {
	t.Parallel()
	db := testkit.NewDatabase(t)
	pool := db.Pool(t, "")
	ctx := testContext(t)
	if _, err := pool.Exec(ctx, `
CREATE TABLE orgs (id int PRIMARY KEY);
CREATE TABLE users (email text CONSTRAINT users_email_key UNIQUE, org_id int CONSTRAINT users_org_fk REFERENCES orgs (id));
INSERT INTO orgs VALUES (1);
INSERT INTO users VALUES ('a@example.com', 1);`); err != nil {
		t.Fatalf("setup: %v", err)
	}
	_, dupErr := pool.Exec(ctx, "INSERT INTO users VALUES ('a@example.com', 1)")
	_, fkErr := pool.Exec(ctx, "INSERT INTO users VALUES ('b@example.com', 2)")
	var n int
	noRowsErr := pool.QueryRow(ctx, "SELECT 1 FROM users WHERE email = 'nobody'").Scan(&n)

	tests := []struct {
		name       string
		err        error
		wantUnique string
		wantFK     string
		wantNoRows bool
	}{
		{name: "unique", err: dupErr, wantUnique: "users_email_key"},
		{name: "wrapped unique", err: fmt.Errorf("create user: %w", dupErr), wantUnique: "users_email_key"},
		{name: "foreign key", err: fkErr, wantFK: "users_org_fk"},
		{name: "no rows", err: noRowsErr, wantNoRows: true},
		{name: "wrapped no rows", err: fmt.Errorf("get: %w", noRowsErr), wantNoRows: true},
		{name: "other", err: errors.New("boom")},
		{name: "nil", err: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := postgres.IsUniqueViolation(tt.err)
			if ok != (tt.wantUnique != "") || c != tt.wantUnique {
				t.Errorf("IsUniqueViolation = (%q, %t), want (%q, %t)", c, ok, tt.wantUnique, tt.wantUnique != "")
			}
			c, ok = postgres.IsForeignKeyViolation(tt.err)
			if ok != (tt.wantFK != "") || c != tt.wantFK {
				t.Errorf("IsForeignKeyViolation = (%q, %t), want (%q, %t)", c, ok, tt.wantFK, tt.wantFK != "")
			}
			if got := postgres.IsNoRows(tt.err); got != tt.wantNoRows {
				t.Errorf("IsNoRows = %t, want %t", got, tt.wantNoRows)
			}
		})
	}
}
