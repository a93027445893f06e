package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/domain"
)

// userColumns reads a user with the sorted names of its roles.
const userColumns = `u.id, u.org_id, u.email, u.full_name, u.phone, u.title, u.timezone, u.status, u.password_hash,
	u.created_at, u.updated_at, u.last_login_at, u.password_changed_at, u.deleted_at,
	COALESCE((SELECT array_agg(r.name ORDER BY r.name)
	          FROM identity.user_roles ur JOIN identity.roles r ON r.id = ur.role_id
	          WHERE ur.user_id = u.id), '{}')`

const (
	sqlUserInsert = `INSERT INTO identity.users
	(id, org_id, email, full_name, phone, title, timezone, status, password_hash, password_changed_at, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	sqlUserGet          = `SELECT ` + userColumns + ` FROM identity.users u WHERE u.id = $1 AND u.deleted_at IS NULL`
	sqlUserGetForUpdate = sqlUserGet + ` FOR UPDATE OF u`
	sqlUserUpdate       = `UPDATE identity.users SET full_name = $2, phone = $3, title = $4, timezone = $5,
	password_hash = $6, password_changed_at = $7, updated_at = $8
	WHERE id = $1 AND deleted_at IS NULL`
	sqlUserTouchLogin = `UPDATE identity.users SET last_login_at = $2 WHERE id = $1`
	sqlUserSoftDelete = `UPDATE identity.users SET status = 'deleted', deleted_at = $2, updated_at = $2
	WHERE id = $1 AND deleted_at IS NULL`
	sqlUserRolesClear  = `DELETE FROM identity.user_roles WHERE user_id = $1`
	sqlUserRolesInsert = `INSERT INTO identity.user_roles (org_id, user_id, role_id, assigned_at)
	SELECT u.org_id, u.id, r, $3 FROM identity.users u, unnest($2::uuid[]) AS r WHERE u.id = $1`
	// An admin is anyone holding "*", through the system admin role or a
	// custom one.
	sqlCountAdmins = `SELECT count(DISTINCT u.id) FROM identity.users u
	JOIN identity.user_roles ur ON ur.user_id = u.id
	JOIN identity.roles r ON r.id = ur.role_id
	WHERE '*' = ANY(r.permissions) AND u.deleted_at IS NULL`
)

// User list: a base query, optional filters and one of the whitelisted
// orders, all constants; client values only ever travel as arguments.
const (
	sqlUserListBase = `SELECT ` + userColumns + `, t.locked_until, COALESCE(t.failures, 0)
	FROM identity.users u
	LEFT JOIN identity.login_throttles t ON t.email_key = encode(sha256(convert_to(u.email, 'UTF8')), 'hex')
	WHERE true`
	sqlUserFilterNotDeleted = ` AND u.deleted_at IS NULL`
	sqlUserFilterQ          = ` AND (u.full_name ILIKE @q ESCAPE '\' OR u.email ILIKE @q ESCAPE '\')`
	sqlUserFilterRole       = ` AND EXISTS (SELECT 1 FROM identity.user_roles ur JOIN identity.roles r ON r.id = ur.role_id WHERE ur.user_id = u.id AND r.name = @role)`
	sqlUserFilterActive     = ` AND u.deleted_at IS NULL AND (t.locked_until IS NULL OR t.locked_until <= @now)`
	sqlUserFilterLocked     = ` AND u.deleted_at IS NULL AND t.locked_until > @now`
	sqlUserFilterDeleted    = ` AND u.deleted_at IS NOT NULL`
)

// userSorts are the user list's whitelisted sort fields: their SQL, the
// type it compares as and a user's value.
var userSorts = map[string]struct {
	expr  string
	kind  postgres.Kind
	value func(domain.User) any
}{
	"created_at": {"u.created_at", postgres.Timestamptz, func(u domain.User) any { return u.CreatedAt }},
	"email":      {"u.email", postgres.Text, func(u domain.User) any { return u.Email }},
	"full_name":  {"u.full_name", postgres.Text, func(u domain.User) any { return u.FullName }},
}

type userRepo struct{ tx pgx.Tx }

func scanUser(row pgx.Row, extra ...any) (domain.User, error) {
	var u domain.User
	dest := append([]any{&u.ID, &u.OrgID, &u.Email, &u.FullName, &u.Phone, &u.Title, &u.Timezone, &u.Status, &u.PasswordHash,
		&u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt, &u.PasswordChangedAt, &u.DeletedAt, &u.Roles}, extra...)
	err := row.Scan(dest...)
	return u, err
}

func (r userRepo) Create(ctx context.Context, u domain.User) error {
	_, err := r.tx.Exec(ctx, sqlUserInsert, u.ID, u.OrgID, u.Email, u.FullName, u.Phone, u.Title, u.Timezone,
		u.Status, u.PasswordHash, u.PasswordChangedAt, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert user: %w", mapUnique(err))
	}
	return nil
}

func (r userRepo) get(ctx context.Context, query, id string) (domain.User, error) {
	u, err := scanUser(r.tx.QueryRow(ctx, query, id))
	if err != nil {
		return u, notFound(err, domain.ErrUserNotFound)
	}
	return u, nil
}

func (r userRepo) Get(ctx context.Context, id string) (domain.User, error) {
	return r.get(ctx, sqlUserGet, id)
}

func (r userRepo) GetForUpdate(ctx context.Context, id string) (domain.User, error) {
	return r.get(ctx, sqlUserGetForUpdate, id)
}

func (r userRepo) Update(ctx context.Context, u domain.User) error {
	tag, err := r.tx.Exec(ctx, sqlUserUpdate, u.ID, u.FullName, u.Phone, u.Title, u.Timezone,
		u.PasswordHash, u.PasswordChangedAt, u.UpdatedAt)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return expectOne(tag.RowsAffected(), domain.ErrUserNotFound)
}

func (r userRepo) TouchLogin(ctx context.Context, id string, at time.Time) error {
	if _, err := r.tx.Exec(ctx, sqlUserTouchLogin, id, at); err != nil {
		return fmt.Errorf("touch last login: %w", err)
	}
	return nil
}

func (r userRepo) SoftDelete(ctx context.Context, id string, at time.Time) error {
	tag, err := r.tx.Exec(ctx, sqlUserSoftDelete, id, at)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return expectOne(tag.RowsAffected(), domain.ErrUserNotFound)
}

func (r userRepo) SetRoles(ctx context.Context, userID string, roleIDs []string, at time.Time) error {
	if _, err := r.tx.Exec(ctx, sqlUserRolesClear, userID); err != nil {
		return fmt.Errorf("clear user roles: %w", err)
	}
	if len(roleIDs) == 0 {
		return nil
	}
	if _, err := r.tx.Exec(ctx, sqlUserRolesInsert, userID, roleIDs, at); err != nil {
		return fmt.Errorf("assign user roles: %w", err)
	}
	return nil
}

func (r userRepo) CountAdmins(ctx context.Context) (int, error) {
	var n int
	if err := r.tx.QueryRow(ctx, sqlCountAdmins).Scan(&n); err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

// likePattern escapes LIKE metacharacters so ?q= is a plain substring.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

func (r userRepo) List(ctx context.Context, q app.UserQuery) ([]app.UserRow, string, error) {
	field, desc := strings.TrimPrefix(q.Sort, "-"), strings.HasPrefix(q.Sort, "-")
	sort, ok := userSorts[field]
	if !ok {
		field, desc, sort = "created_at", false, userSorts["created_at"]
	}
	page, err := postgres.SortKeyset(field, desc, sort.kind, sort.expr, "u.id").Page(q.Cursor, q.Limit)
	if err != nil {
		return nil, "", err
	}
	args := pgx.NamedArgs{"now": q.Now}
	var sb strings.Builder
	sb.WriteString(sqlUserListBase)
	if !q.IncludeDeleted {
		sb.WriteString(sqlUserFilterNotDeleted)
	}
	if q.Q != "" {
		sb.WriteString(sqlUserFilterQ)
		args["q"] = likePattern(q.Q)
	}
	if q.Role != "" {
		sb.WriteString(sqlUserFilterRole)
		args["role"] = q.Role
	}
	switch q.Status {
	case domain.UserActive:
		sb.WriteString(sqlUserFilterActive)
	case "locked":
		sb.WriteString(sqlUserFilterLocked)
	case domain.UserDeleted:
		sb.WriteString(sqlUserFilterDeleted)
	}
	cond, tail := page.Seek(func(v any) string {
		name := "k" + strconv.Itoa(len(args))
		args[name] = v
		return "@" + name
	})
	if cond != "" {
		sb.WriteString(" AND " + cond)
	}
	sb.WriteString(tail)

	rows, err := r.tx.Query(ctx, sb.String(), args)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	out, next, err := postgres.CollectPage(page, rows, func(row pgx.CollectableRow) (app.UserRow, error) {
		var r app.UserRow
		var err error
		r.User, err = scanUser(row, &r.LockedUntil, &r.FailedAttempts)
		return r, err
	}, func(r app.UserRow) (any, string) { return sort.value(r.User), r.User.ID })
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	return out, next, nil
}
