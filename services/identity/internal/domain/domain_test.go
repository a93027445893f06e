package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"reos.dev/pkg/apperr"
)

func fieldsOf(err error) []string {
	e, ok := apperr.As(err)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestParseEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "ann@example.test", "ann@example.test", true},
		{"trim and lower", "  Ann@Example.TEST\t", "ann@example.test", true},
		{"plus tag", "ann+crm@example.test", "ann+crm@example.test", true},
		{"empty", "   ", "", false},
		{"no at", "ann.example.test", "", false},
		{"no dot in domain", "ann@localhost", "", false},
		{"display name", "Ann <ann@example.test>", "", false},
		{"space inside", "an n@example.test", "", false},
		{"NUL", "ann\x00@example.test", "", false},
		{"double dot domain", "ann@example..test", "", false},
		{"too long", strings.Repeat("a", 60) + "@" + strings.Repeat("b", 200) + ".test", "", false},
		{"long local part", strings.Repeat("a", 65) + "@example.test", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEmail("email", tc.in)
			if tc.ok != (err == nil) {
				t.Fatalf("ParseEmail(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if tc.ok && got != tc.want {
				t.Errorf("ParseEmail(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !tc.ok && !errors.Is(err, apperr.ErrInvalid) {
				t.Errorf("error %v is not invalid", err)
			}
		})
	}
}

func TestEmailKeyNormalises(t *testing.T) {
	t.Parallel()
	if EmailKey(" Ann@X.test") != EmailKey("ann@x.test") || len(EmailKey("a@b.c")) != 64 {
		t.Error("EmailKey must be the hex SHA-256 of the normalised email")
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pw, email string
		ok              bool
	}{
		{"twelve characters", "abcdefghijkl", "a@b.test", true},
		{"unicode counts runes", "ééééééééééé", "a@b.test", false},
		{"twelve runes of unicode", "éééééééééééé", "a@b.test", true},
		{"eleven", "abcdefghijk", "a@b.test", false},
		{"max", strings.Repeat("x", 128), "a@b.test", true},
		{"over max", strings.Repeat("x", 129), "a@b.test", false},
		{"equals email", "Long.Name@Example.test", "long.name@example.test", false},
		{"NUL", "abcdefghijkl\x00", "a@b.test", false},
		{"empty", "", "a@b.test", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidatePassword("password", tc.pw, tc.email)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && fieldsOf(err)[0] != "password" {
				t.Errorf("error names %v", fieldsOf(err))
			}
		})
	}
}

func TestLockoutDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, time.Minute}, {1, 2 * time.Minute}, {2, 4 * time.Minute}, {10, 1024 * time.Minute},
		{11, 24 * time.Hour}, {100, 24 * time.Hour},
	}
	for _, tc := range tests {
		if got := LockoutDuration(tc.n); got != tc.want {
			t.Errorf("LockoutDuration(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var th LoginThrottle
	fail := func(at time.Time, times int) (time.Duration, bool) {
		var d time.Duration
		var locked bool
		for range times {
			d, locked = th.RecordFailure(at)
		}
		return d, locked
	}
	if _, locked := fail(t0, 4); locked {
		t.Fatal("locked after 4 failures")
	}
	if d, locked := fail(t0, 1); !locked || d != time.Minute {
		t.Fatalf("5th failure: %v %v, want a 1 minute lock", d, locked)
	}
	if left, locked := th.Locked(t0.Add(20 * time.Second)); !locked || left != 40*time.Second {
		t.Fatalf("Locked = %v %v", left, locked)
	}
	// Failures while locked are not counted.
	if _, locked := fail(t0.Add(30*time.Second), 10); locked || th.Failures != 0 {
		t.Fatalf("failures counted while locked: %+v", th)
	}
	t1 := t0.Add(time.Minute)
	if _, locked := th.Locked(t1); locked {
		t.Fatal("still locked when the lock ended")
	}
	th.RecordSuccess(t1)
	if d, locked := fail(t1, 5); !locked || d != 2*time.Minute {
		t.Fatalf("second lockout: %v %v, want 2 minutes (success keeps the level)", d, locked)
	}
	// A day after the last lock ended the level resets, and a streak
	// older than a day is forgotten.
	t2 := th.LockedUntil.Add(LockoutMemory)
	fail(t2, 4)
	if _, locked := fail(t2.Add(LockoutMemory), 4); locked || th.Failures != 4 {
		t.Fatalf("old streak not forgotten: %+v", th)
	}
	if d, locked := fail(t2.Add(LockoutMemory), 1); !locked || d != time.Minute {
		t.Fatalf("lock after a quiet day: %v %v, want the level back at 1 minute", d, locked)
	}
}

func TestLoginThrottleLevelDecays(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := LoginThrottle{Lockouts: 5, LockedUntil: &t0}
	for range MaxFailures - 1 {
		th.RecordFailure(t0.Add(LockoutMemory))
	}
	if d, locked := th.RecordFailure(t0.Add(LockoutMemory)); !locked || d != time.Minute {
		t.Fatalf("after a quiet day the lock is %v %v, want back to 1 minute", d, locked)
	}
}

func TestNormalizePermissions(t *testing.T) {
	t.Parallel()
	got, err := NormalizePermissions("permissions", []string{"leads:write", " leads:read", "leads:write", "*", "deals:*"})
	if err != nil || strings.Join(got, ",") != "*,deals:*,leads:read,leads:write" {
		t.Fatalf("got %v, %v", got, err)
	}
	_, err = NormalizePermissions("permissions", []string{"leads:read", "rockets:*", "leads:fly", ""})
	if f := fieldsOf(err); strings.Join(f, ",") != "permissions[1],permissions[2],permissions[3]" {
		t.Errorf("fields = %v", f)
	}
}

func TestGrants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		granted []string
		perm    string
		want    bool
	}{
		{[]string{"*"}, "anything:at_all", true},
		{[]string{"leads:*"}, "leads:write", true},
		{[]string{"leads:*"}, "deals:write", false},
		{[]string{"leads:read"}, "leads:write", false},
		{[]string{"admin:*"}, "admin:dlq", true},
		{nil, "users:read", false},
	}
	for _, tc := range tests {
		if got := Grants(tc.granted, tc.perm); got != tc.want {
			t.Errorf("Grants(%v, %q) = %v", tc.granted, tc.perm, got)
		}
	}
	if err := CheckCanGrant([]string{"leads:*"}, []string{"leads:read", "deals:read"}); !errors.Is(err, apperr.ErrForbidden) {
		t.Errorf("CheckCanGrant = %v", err)
	}
}

func TestSystemRoles(t *testing.T) {
	t.Parallel()
	n := 0
	roles := SystemRoles("org", time.Now(), func() string { n++; return string(rune('a' + n)) })
	byName := map[string]Role{}
	for _, r := range roles {
		byName[r.Name] = r
		if !r.System {
			t.Errorf("%s is not a system role", r.Name)
		}
		if _, err := NormalizePermissions("p", r.Permissions); err != nil {
			t.Errorf("%s holds a permission outside the catalogue: %v", r.Name, err)
		}
	}
	if len(byName) != 4 || !Grants(byName[RoleAdmin].Permissions, "admin:anything") {
		t.Fatalf("roles = %v", byName)
	}
	for _, p := range byName[RoleViewer].Permissions {
		if !strings.HasSuffix(p, ":read") {
			t.Errorf("viewer holds %s", p)
		}
	}
	if Grants(byName[RoleAgent].Permissions, "campaigns:launch") || !Grants(byName[RoleSales].Permissions, "campaigns:launch") {
		t.Error("only sales (of sales and agent) launches campaigns")
	}
}

func TestRoleUpdateRules(t *testing.T) {
	t.Parallel()
	now := time.Now()
	roles := SystemRoles("org", now, func() string { return "id" })
	admin, agent := roles[0], roles[2]
	if err := agent.Update(RoleInput{Name: "field-agent", Permissions: []string{}}, now); !containsField(err, "name") {
		t.Errorf("renaming a system role: %v", err)
	}
	if err := admin.Update(RoleInput{Name: "admin", Permissions: []string{"users:read"}}, now); !containsField(err, "permissions") {
		t.Errorf("stripping admin: %v", err)
	}
	if err := agent.Update(RoleInput{Name: "Agent", Permissions: []string{"leads:read"}}, now); err != nil {
		t.Errorf("editing agent's permissions: %v", err)
	}
	if err := admin.CheckDeletable(); !errors.Is(err, apperr.ErrConflict) {
		t.Errorf("deleting admin: %v", err)
	}
	if _, err := NewRole("id", "org", RoleInput{Name: "9lives", Permissions: []string{}}, now); !containsField(err, "name") {
		t.Errorf("bad slug: %v", err)
	}
	if _, err := NewRole("id", "org", RoleInput{Name: "ok"}, now); !containsField(err, "permissions") {
		t.Errorf("missing permissions: %v", err)
	}
}

func containsField(err error, field string) bool {
	for _, f := range fieldsOf(err) {
		if f == field {
			return true
		}
	}
	return false
}

func TestUpdateProfile(t *testing.T) {
	t.Parallel()
	s := func(v string) *string { return &v }
	now := time.Now()
	u, err := NewUser("id", "org", NewUserInput{Email: "A@B.test", FullName: " Ann ", PasswordHash: "h"}, now)
	if err != nil || u.Email != "a@b.test" || u.FullName != "Ann" {
		t.Fatalf("NewUser = %+v, %v", u, err)
	}
	if err := u.UpdateProfile(ProfileUpdate{Phone: s("+33 1 23 45 67 89"), Timezone: s("America/New_York"), Title: s("Broker")}, now); err != nil {
		t.Fatal(err)
	}
	if u.FullName != "Ann" || *u.Phone != "+33 1 23 45 67 89" {
		t.Errorf("omitted field changed or set field lost: %+v", u)
	}
	if err := u.UpdateProfile(ProfileUpdate{Title: s("")}, now); err != nil || u.Title != nil {
		t.Errorf("empty string should clear: %+v %v", u.Title, err)
	}
	err = u.UpdateProfile(ProfileUpdate{FullName: s(""), Phone: s("12"), Timezone: s("Local")}, now)
	for _, f := range []string{"full_name", "phone", "timezone"} {
		if !containsField(err, f) {
			t.Errorf("error %v does not name %s", err, f)
		}
	}
	if u.FullName != "Ann" {
		t.Error("a refused update changed the user")
	}
}
