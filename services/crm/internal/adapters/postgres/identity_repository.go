package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/events"
	"reos.dev/services/crm/internal/app"
)

// The users read model as the app reads it (userDirectory).
const (
	sqlActiveUser = `SELECT EXISTS (SELECT 1 FROM crm.known_users WHERE user_id = $1 AND active)`
	sqlKnownTeam  = `SELECT EXISTS (SELECT 1 FROM crm.known_teams WHERE team_id = $1 AND NOT deleted)`
	sqlTeamAgents = `SELECT m.user_id::text FROM crm.known_team_members m
JOIN crm.known_users u ON u.org_id = m.org_id AND u.user_id = m.user_id
WHERE m.team_id = $1 AND u.active ORDER BY m.user_id::text`
)

const (
	// sqlUpsertKnownUser: a NULL $3 keeps the known roles (a new row has
	// none); $4 (deleted) makes the user inactive for good; updated_at only
	// moves forward.
	sqlUpsertKnownUser = `INSERT INTO crm.known_users (org_id, user_id, roles, active, updated_at)
VALUES ($1, $2, coalesce($3::text[], '{}'), NOT $4, $5)
ON CONFLICT (org_id, user_id) DO UPDATE
SET roles = coalesce($3::text[], crm.known_users.roles),
    active = crm.known_users.active AND NOT $4,
    updated_at = greatest(crm.known_users.updated_at, EXCLUDED.updated_at)`
	sqlUpsertKnownTeam = `INSERT INTO crm.known_teams (org_id, team_id, deleted, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (org_id, team_id) DO UPDATE
SET deleted = crm.known_teams.deleted OR EXCLUDED.deleted,
    updated_at = greatest(crm.known_teams.updated_at, EXCLUDED.updated_at)`
	// A deleted team takes no members, whatever arrives after its deletion.
	sqlAddKnownMember = `INSERT INTO crm.known_team_members (org_id, team_id, user_id, added_at)
SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM crm.known_teams WHERE org_id = $1 AND team_id = $2 AND deleted)
ON CONFLICT DO NOTHING`
	sqlRemoveKnownMember  = `DELETE FROM crm.known_team_members WHERE org_id = $1 AND team_id = $2 AND user_id = $3`
	sqlRemoveKnownMembers = `DELETE FROM crm.known_team_members WHERE org_id = $1 AND team_id = $2`
	// A removal is a change of the team like the others: its time counts
	// against later snapshots.
	sqlTouchKnownTeam = `UPDATE crm.known_teams SET updated_at = greatest(updated_at, $3) WHERE org_id = $1 AND team_id = $2`
)

// Snapshots (identity republish): state replaced only when the row has
// applied no event later than the snapshot; deletions stay final.
const (
	// sqlSnapshotKnownUser: the CASE reads the row before the update.
	sqlSnapshotKnownUser = `INSERT INTO crm.known_users (org_id, user_id, roles, active, updated_at)
VALUES ($1, $2, $3::text[], true, $4)
ON CONFLICT (org_id, user_id) DO UPDATE
SET roles = CASE WHEN EXCLUDED.updated_at >= crm.known_users.updated_at THEN EXCLUDED.roles ELSE crm.known_users.roles END,
    updated_at = greatest(crm.known_users.updated_at, EXCLUDED.updated_at)`
	// sqlSnapshotKnownTeam makes the team known and answers whether its
	// members are to be replaced: not deleted, and new or not newer than
	// the snapshot. The row is locked before it is judged, so another
	// writer of the team (a consumer instance that took the partition
	// over) waits until the members are replaced.
	sqlSnapshotKnownTeam = `WITH before AS (
	SELECT deleted, updated_at FROM crm.known_teams WHERE org_id = $1 AND team_id = $2 FOR UPDATE
), upsert AS (
	INSERT INTO crm.known_teams (org_id, team_id, deleted, updated_at) VALUES ($1, $2, false, $3)
	ON CONFLICT (org_id, team_id) DO UPDATE SET updated_at = greatest(crm.known_teams.updated_at, EXCLUDED.updated_at)
)
SELECT coalesce((SELECT NOT deleted AND $3 >= updated_at FROM before), true)`
	sqlDropKnownMembersExcept = `DELETE FROM crm.known_team_members WHERE org_id = $1 AND team_id = $2 AND user_id <> ALL($3::uuid[])`
	sqlAddKnownMembers        = `INSERT INTO crm.known_team_members (org_id, team_id, user_id, added_at)
SELECT $1, $2, u, $4 FROM unnest($3::uuid[]) AS u
ON CONFLICT DO NOTHING`
)

// identityReadModel is app.IdentityReadModel over the consumer's
// transaction.
type identityReadModel struct{ tx pgx.Tx }

var _ app.IdentityReadModel = identityReadModel{}

func (m identityReadModel) UpsertUser(ctx context.Context, orgID, userID string, roles []string, deleted bool, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlUpsertKnownUser, orgID, userID, roles, deleted, at); err != nil {
		return fmt.Errorf("upsert known user: %w", err)
	}
	return nil
}

func (m identityReadModel) AddTeamMember(ctx context.Context, orgID, teamID, userID string, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlUpsertKnownTeam, orgID, teamID, false, at); err != nil {
		return fmt.Errorf("upsert known team: %w", err)
	}
	if _, err := m.tx.Exec(ctx, sqlAddKnownMember, orgID, teamID, userID, at); err != nil {
		return fmt.Errorf("add known team member: %w", err)
	}
	return nil
}

func (m identityReadModel) RemoveTeamMember(ctx context.Context, orgID, teamID, userID string, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlRemoveKnownMember, orgID, teamID, userID); err != nil {
		return fmt.Errorf("remove known team member: %w", err)
	}
	if _, err := m.tx.Exec(ctx, sqlTouchKnownTeam, orgID, teamID, at); err != nil {
		return fmt.Errorf("touch known team: %w", err)
	}
	return nil
}

func (m identityReadModel) SnapshotUser(ctx context.Context, orgID, userID string, roles []string, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlSnapshotKnownUser, orgID, userID, roles, at); err != nil {
		return fmt.Errorf("snapshot known user: %w", err)
	}
	return nil
}

func (m identityReadModel) SnapshotTeam(ctx context.Context, orgID, teamID string, members []string, at time.Time) error {
	var replace bool
	if err := m.tx.QueryRow(ctx, sqlSnapshotKnownTeam, orgID, teamID, at).Scan(&replace); err != nil {
		return fmt.Errorf("snapshot known team: %w", err)
	}
	if !replace {
		return nil
	}
	if _, err := m.tx.Exec(ctx, sqlDropKnownMembersExcept, orgID, teamID, members); err != nil {
		return fmt.Errorf("snapshot known team members: %w", err)
	}
	if _, err := m.tx.Exec(ctx, sqlAddKnownMembers, orgID, teamID, members, at); err != nil {
		return fmt.Errorf("snapshot known team members: %w", err)
	}
	return nil
}

func (m identityReadModel) DeleteTeam(ctx context.Context, orgID, teamID string, at time.Time) error {
	if _, err := m.tx.Exec(ctx, sqlUpsertKnownTeam, orgID, teamID, true, at); err != nil {
		return fmt.Errorf("delete known team: %w", err)
	}
	if _, err := m.tx.Exec(ctx, sqlRemoveKnownMembers, orgID, teamID); err != nil {
		return fmt.Errorf("delete known team members: %w", err)
	}
	return nil
}

// IdentityEventHandler is the events.Handler of the users read model:
// app.ApplyIdentityEvent writing through the consumer's transaction (in
// which app.org_id is the event's organisation).
func IdentityEventHandler() events.Handler {
	return func(ctx context.Context, tx pgx.Tx, ev events.Event) error {
		return app.ApplyIdentityEvent(ctx, identityReadModel{tx: tx}, ev)
	}
}

func (r userDirectory) ActiveUser(ctx context.Context, userID string) (bool, error) {
	var ok bool
	if err := r.tx.QueryRow(ctx, sqlActiveUser, userID).Scan(&ok); err != nil {
		return false, fmt.Errorf("active user: %w", err)
	}
	return ok, nil
}

func (r userDirectory) KnownTeam(ctx context.Context, teamID string) (bool, error) {
	var ok bool
	if err := r.tx.QueryRow(ctx, sqlKnownTeam, teamID).Scan(&ok); err != nil {
		return false, fmt.Errorf("known team: %w", err)
	}
	return ok, nil
}

func (r userDirectory) TeamAgents(ctx context.Context, teamID string) ([]string, error) {
	rows, err := r.tx.Query(ctx, sqlTeamAgents, teamID)
	if err != nil {
		return nil, fmt.Errorf("team agents: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("team agents: %w", err)
	}
	return ids, nil
}
