package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/domain"
)

const teamColumns = `t.id, t.org_id, t.name, t.description, t.created_at, t.updated_at,
	(SELECT count(*) FROM identity.team_members m WHERE m.team_id = t.id)`

const (
	sqlTeamInsert = `INSERT INTO identity.teams (id, org_id, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`
	sqlTeamGet    = `SELECT ` + teamColumns + ` FROM identity.teams t WHERE t.id = $1`
	// The member count is a subquery, so the row lock applies to t alone.
	sqlTeamGetFU      = sqlTeamGet + ` FOR UPDATE OF t`
	sqlTeamList       = `SELECT ` + teamColumns + ` FROM identity.teams t ORDER BY t.name, t.id LIMIT $1`
	sqlTeamListAfter  = `SELECT ` + teamColumns + ` FROM identity.teams t WHERE (t.name, t.id) > ($2::text, $3::uuid) ORDER BY t.name, t.id LIMIT $1`
	sqlTeamUpdate     = `UPDATE identity.teams SET name = $2, description = $3, updated_at = $4 WHERE id = $1`
	sqlTeamMembers    = `SELECT u.id, u.email, u.full_name, m.added_at FROM identity.team_members m JOIN identity.users u ON u.id = m.user_id WHERE m.team_id = $1 AND u.deleted_at IS NULL ORDER BY u.full_name, u.id`
	sqlTeamAddMember  = `INSERT INTO identity.team_members (org_id, team_id, user_id, added_at) VALUES ($1, $2, $3, $4)`
	sqlTeamDropMember = `DELETE FROM identity.team_members WHERE team_id = $1 AND user_id = $2`
)

// sqlTeamDelete leaves the deleted team's trace for republishing
// (deleted_teams); the count is the deleted rows'.
const sqlTeamDelete = `WITH gone AS (DELETE FROM identity.teams WHERE id = $1 RETURNING org_id, id)
INSERT INTO identity.deleted_teams (org_id, team_id, deleted_at) SELECT org_id, id, $2 FROM gone`

type teamRepo struct{ tx pgx.Tx }

func scanTeam(row pgx.Row) (domain.Team, error) {
	var t domain.Team
	err := row.Scan(&t.ID, &t.OrgID, &t.Name, &t.Description, &t.CreatedAt, &t.UpdatedAt, &t.MemberCount)
	return t, err
}

func (r teamRepo) Create(ctx context.Context, t domain.Team) error {
	if _, err := r.tx.Exec(ctx, sqlTeamInsert, t.ID, t.OrgID, t.Name, t.Description, t.CreatedAt, t.UpdatedAt); err != nil {
		return fmt.Errorf("insert team: %w", mapUnique(err))
	}
	return nil
}

func (r teamRepo) Get(ctx context.Context, id string) (domain.Team, error) {
	t, err := scanTeam(r.tx.QueryRow(ctx, sqlTeamGet, id))
	return t, notFound(err, domain.ErrTeamNotFound)
}

func (r teamRepo) GetForUpdate(ctx context.Context, id string) (domain.Team, error) {
	t, err := scanTeam(r.tx.QueryRow(ctx, sqlTeamGetFU, id))
	return t, notFound(err, domain.ErrTeamNotFound)
}

func (r teamRepo) List(ctx context.Context, q app.PageQuery) ([]domain.Team, string, error) {
	out, next, err := listByName(ctx, r.tx, q, sqlTeamList, sqlTeamListAfter, scanTeam,
		func(t domain.Team) (string, string) { return t.Name, t.ID })
	if err != nil {
		return nil, "", fmt.Errorf("list teams: %w", err)
	}
	return out, next, nil
}

func (r teamRepo) Update(ctx context.Context, t domain.Team) error {
	tag, err := r.tx.Exec(ctx, sqlTeamUpdate, t.ID, t.Name, t.Description, t.UpdatedAt)
	if err != nil {
		return fmt.Errorf("update team: %w", mapUnique(err))
	}
	return expectOne(tag.RowsAffected(), domain.ErrTeamNotFound)
}

func (r teamRepo) Delete(ctx context.Context, id string, at time.Time) error {
	tag, err := r.tx.Exec(ctx, sqlTeamDelete, id, at)
	if err != nil {
		return fmt.Errorf("delete team: %w", err)
	}
	return expectOne(tag.RowsAffected(), domain.ErrTeamNotFound)
}

func (r teamRepo) Members(ctx context.Context, teamID string) ([]domain.TeamMember, error) {
	rows, err := r.tx.Query(ctx, sqlTeamMembers, teamID)
	if err != nil {
		return nil, fmt.Errorf("team members: %w", err)
	}
	defer rows.Close()
	out := []domain.TeamMember{}
	for rows.Next() {
		var m domain.TeamMember
		if err := rows.Scan(&m.UserID, &m.Email, &m.FullName, &m.AddedAt); err != nil {
			return nil, fmt.Errorf("scan team member: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (r teamRepo) AddMember(ctx context.Context, orgID, teamID, userID string, at time.Time) error {
	if _, err := r.tx.Exec(ctx, sqlTeamAddMember, orgID, teamID, userID, at); err != nil {
		return fmt.Errorf("add team member: %w", mapUnique(err))
	}
	return nil
}

func (r teamRepo) RemoveMember(ctx context.Context, teamID, userID string) (bool, error) {
	tag, err := r.tx.Exec(ctx, sqlTeamDropMember, teamID, userID)
	if err != nil {
		return false, fmt.Errorf("remove team member: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
