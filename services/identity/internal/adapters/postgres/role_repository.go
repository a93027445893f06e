package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/domain"
)

const roleColumns = `id, org_id, name, description, permissions, is_system, created_at, updated_at`

const (
	sqlRoleInsert = `INSERT INTO identity.roles (` + roleColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	sqlRoleGet    = `SELECT ` + roleColumns + ` FROM identity.roles WHERE id = $1`
	sqlRoleGetFU  = sqlRoleGet + ` FOR UPDATE`
	sqlRoleByName = `SELECT ` + roleColumns + ` FROM identity.roles WHERE name = ANY($1::text[]) ORDER BY name`
	sqlRoleByUser = `SELECT r.id, r.org_id, r.name, r.description, r.permissions, r.is_system, r.created_at, r.updated_at
	FROM identity.roles r JOIN identity.user_roles ur ON ur.role_id = r.id
	WHERE ur.user_id = $1 ORDER BY r.name`
	sqlRoleList      = `SELECT ` + roleColumns + ` FROM identity.roles ORDER BY name, id LIMIT $1`
	sqlRoleListAfter = `SELECT ` + roleColumns + ` FROM identity.roles WHERE (name, id) > ($2::text, $3::uuid) ORDER BY name, id LIMIT $1`
	sqlRoleUpdate    = `UPDATE identity.roles SET name = $2, description = $3, permissions = $4, updated_at = $5 WHERE id = $1`
	sqlRoleDelete    = `DELETE FROM identity.roles WHERE id = $1`
	sqlRoleUsers     = `SELECT count(*) FROM identity.user_roles WHERE role_id = $1`
)

type roleRepo struct{ tx pgx.Tx }

func scanRole(row pgx.Row) (domain.Role, error) {
	var r domain.Role
	err := row.Scan(&r.ID, &r.OrgID, &r.Name, &r.Description, &r.Permissions, &r.System, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

func scanRoles(rows pgx.Rows) ([]domain.Role, error) {
	defer rows.Close()
	var out []domain.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, fmt.Errorf("scan role: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (r roleRepo) Create(ctx context.Context, role domain.Role) error {
	_, err := r.tx.Exec(ctx, sqlRoleInsert, role.ID, role.OrgID, role.Name, role.Description, role.Permissions,
		role.System, role.CreatedAt, role.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert role: %w", mapUnique(err))
	}
	return nil
}

func (r roleRepo) Get(ctx context.Context, id string) (domain.Role, error) {
	role, err := scanRole(r.tx.QueryRow(ctx, sqlRoleGet, id))
	return role, notFound(err, domain.ErrRoleNotFound)
}

func (r roleRepo) GetForUpdate(ctx context.Context, id string) (domain.Role, error) {
	role, err := scanRole(r.tx.QueryRow(ctx, sqlRoleGetFU, id))
	return role, notFound(err, domain.ErrRoleNotFound)
}

func (r roleRepo) ByNames(ctx context.Context, names []string) ([]domain.Role, error) {
	rows, err := r.tx.Query(ctx, sqlRoleByName, names)
	if err != nil {
		return nil, fmt.Errorf("roles by name: %w", err)
	}
	return scanRoles(rows)
}

func (r roleRepo) ForUser(ctx context.Context, userID string) ([]domain.Role, error) {
	rows, err := r.tx.Query(ctx, sqlRoleByUser, userID)
	if err != nil {
		return nil, fmt.Errorf("roles of user: %w", err)
	}
	return scanRoles(rows)
}

// nameKeyset is the order of the role and team lists: by name, then id.
var nameKeyset = postgres.Keyset{Sort: "name", Kind: postgres.Text}

// listByName reads one page of a list in nameKeyset's order: query first
// on the first page ($1 the rows to read), after from a cursor ($2, $3 the
// name and id it starts after).
func listByName[T any](ctx context.Context, tx pgx.Tx, q app.PageQuery, first, after string,
	scan func(pgx.Row) (T, error), key func(T) (name, id string)) ([]T, string, error) {
	page, err := nameKeyset.Page(q.Cursor, q.Limit)
	if err != nil {
		return nil, "", err
	}
	name, id, fetch := page.Args()
	var rows pgx.Rows
	if page.After == nil {
		rows, err = tx.Query(ctx, first, fetch)
	} else {
		rows, err = tx.Query(ctx, after, fetch, name, id)
	}
	if err != nil {
		return nil, "", err
	}
	return postgres.CollectPage(page, rows, func(row pgx.CollectableRow) (T, error) { return scan(row) },
		func(v T) (any, string) { name, id := key(v); return name, id })
}

func (r roleRepo) List(ctx context.Context, q app.PageQuery) ([]domain.Role, string, error) {
	out, next, err := listByName(ctx, r.tx, q, sqlRoleList, sqlRoleListAfter, scanRole,
		func(r domain.Role) (string, string) { return r.Name, r.ID })
	if err != nil {
		return nil, "", fmt.Errorf("list roles: %w", err)
	}
	return out, next, nil
}

func (r roleRepo) Update(ctx context.Context, role domain.Role) error {
	tag, err := r.tx.Exec(ctx, sqlRoleUpdate, role.ID, role.Name, role.Description, role.Permissions, role.UpdatedAt)
	if err != nil {
		return fmt.Errorf("update role: %w", mapUnique(err))
	}
	return expectOne(tag.RowsAffected(), domain.ErrRoleNotFound)
}

func (r roleRepo) Delete(ctx context.Context, id string) error {
	tag, err := r.tx.Exec(ctx, sqlRoleDelete, id)
	if err != nil {
		return fmt.Errorf("delete role: %w", err)
	}
	return expectOne(tag.RowsAffected(), domain.ErrRoleNotFound)
}

func (r roleRepo) CountUsers(ctx context.Context, roleID string) (int, error) {
	var n int
	if err := r.tx.QueryRow(ctx, sqlRoleUsers, roleID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count role users: %w", err)
	}
	return n, nil
}
