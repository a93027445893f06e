package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/domain"
)

const ruleColumns = `id, name, position, enabled, postal_codes, postal_code_prefixes, min_price_cents, max_price_cents,
source_ids, target_user_id, target_team_id, last_assignee_id, created_at, updated_at`

const (
	sqlListRules = `SELECT ` + ruleColumns + ` FROM crm.assignment_rules ORDER BY position, id`
	sqlGetRule   = `SELECT ` + ruleColumns + ` FROM crm.assignment_rules WHERE id = $1`
	// The round-robin cursor is read and advanced under this lock, in the
	// transaction of the lead being assigned.
	sqlGetRuleLocked = sqlGetRule + ` FOR UPDATE`
	sqlInsertRule    = `INSERT INTO crm.assignment_rules (id, org_id, name, position, enabled, postal_codes, postal_code_prefixes,
min_price_cents, max_price_cents, source_ids, target_user_id, target_team_id, last_assignee_id, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	sqlUpdateRule = `UPDATE crm.assignment_rules SET name = $2, position = $3, enabled = $4, postal_codes = $5,
postal_code_prefixes = $6, min_price_cents = $7, max_price_cents = $8, source_ids = $9, target_user_id = $10,
target_team_id = $11, last_assignee_id = $12, updated_at = $13 WHERE id = $1`
	sqlDeleteRule  = `DELETE FROM crm.assignment_rules WHERE id = $1`
	sqlAdvanceRule = `UPDATE crm.assignment_rules SET last_assignee_id = $2 WHERE id = $1`

	sqlGetSettings  = `SELECT agents_see_only_assigned, updated_at FROM crm.crm_settings`
	sqlSaveSettings = `INSERT INTO crm.crm_settings (org_id, agents_see_only_assigned, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (org_id) DO UPDATE SET agents_see_only_assigned = EXCLUDED.agents_see_only_assigned, updated_at = EXCLUDED.updated_at`

	// The users read model (identity_repository.go writes it).
	sqlActiveUser = `SELECT EXISTS (SELECT 1 FROM crm.known_users WHERE user_id = $1 AND active)`
	sqlKnownTeam  = `SELECT EXISTS (SELECT 1 FROM crm.known_teams WHERE team_id = $1 AND NOT deleted)`
	sqlTeamAgents = `SELECT m.user_id::text FROM crm.known_team_members m
JOIN crm.known_users u ON u.org_id = m.org_id AND u.user_id = m.user_id
WHERE m.team_id = $1 AND u.active ORDER BY m.user_id::text`

	sqlLatestScore = `SELECT score, factors FROM crm.lead_scores WHERE lead_id = $1 ORDER BY computed_at DESC, id DESC LIMIT 1`
)

func scanRule(row pgx.Row) (domain.AssignmentRule, error) {
	var r domain.AssignmentRule
	m := &r.Match
	err := row.Scan(&r.ID, &r.Name, &r.Position, &r.Enabled, &m.PostalCodes, &m.PostalCodePrefixes, &m.MinPriceCents, &m.MaxPriceCents,
		&m.SourceIDs, &r.Target.UserID, &r.Target.TeamID, &r.LastAssigneeID, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

func (r *repo) ListRules(ctx context.Context) ([]domain.AssignmentRule, error) {
	rows, err := r.tx.Query(ctx, sqlListRules)
	if err != nil {
		return nil, fmt.Errorf("list assignment rules: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.AssignmentRule, error) { return scanRule(row) })
}

func (r *repo) GetRule(ctx context.Context, id string, forUpdate bool) (domain.AssignmentRule, error) {
	q := sqlGetRule
	if forUpdate {
		q = sqlGetRuleLocked
	}
	rule, err := scanRule(r.tx.QueryRow(ctx, q, id))
	return rule, notFound(err, domain.ReasonRuleNotFound, "assignment rule")
}

func (r *repo) InsertRule(ctx context.Context, orgID string, a domain.AssignmentRule) error {
	m := a.Match
	_, err := r.tx.Exec(ctx, sqlInsertRule, a.ID, orgID, a.Name, a.Position, a.Enabled, m.PostalCodes, m.PostalCodePrefixes,
		m.MinPriceCents, m.MaxPriceCents, m.SourceIDs, a.Target.UserID, a.Target.TeamID, a.LastAssigneeID, a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert assignment rule: %w", err)
	}
	return nil
}

func (r *repo) UpdateRule(ctx context.Context, a domain.AssignmentRule) error {
	m := a.Match
	tag, err := r.tx.Exec(ctx, sqlUpdateRule, a.ID, a.Name, a.Position, a.Enabled, m.PostalCodes, m.PostalCodePrefixes,
		m.MinPriceCents, m.MaxPriceCents, m.SourceIDs, a.Target.UserID, a.Target.TeamID, a.LastAssigneeID, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("update assignment rule: %w", err)
	}
	return expectOne(tag, domain.ReasonRuleNotFound, "assignment rule")
}

func (r *repo) DeleteRule(ctx context.Context, id string) error {
	tag, err := r.tx.Exec(ctx, sqlDeleteRule, id)
	if err != nil {
		return fmt.Errorf("delete assignment rule: %w", err)
	}
	return expectOne(tag, domain.ReasonRuleNotFound, "assignment rule")
}

func (r *repo) AdvanceRule(ctx context.Context, id, userID string) error {
	tag, err := r.tx.Exec(ctx, sqlAdvanceRule, id, userID)
	if err != nil {
		return fmt.Errorf("advance assignment rule: %w", err)
	}
	return expectOne(tag, domain.ReasonRuleNotFound, "assignment rule")
}

func (r *repo) GetSettings(ctx context.Context) (domain.Settings, error) {
	var s domain.Settings
	err := r.tx.QueryRow(ctx, sqlGetSettings).Scan(&s.AgentsSeeOnlyAssigned, &s.UpdatedAt)
	if postgres.IsNoRows(err) {
		return domain.Settings{}, nil
	}
	if err != nil {
		return s, fmt.Errorf("get settings: %w", err)
	}
	return s, nil
}

func (r *repo) SaveSettings(ctx context.Context, orgID string, s domain.Settings) error {
	if s.UpdatedAt == nil {
		return errors.New("save settings: no update time")
	}
	if _, err := r.tx.Exec(ctx, sqlSaveSettings, orgID, s.AgentsSeeOnlyAssigned, *s.UpdatedAt); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}

func (r *repo) ActiveUser(ctx context.Context, userID string) (bool, error) {
	var ok bool
	if err := r.tx.QueryRow(ctx, sqlActiveUser, userID).Scan(&ok); err != nil {
		return false, fmt.Errorf("active user: %w", err)
	}
	return ok, nil
}

func (r *repo) KnownTeam(ctx context.Context, teamID string) (bool, error) {
	var ok bool
	if err := r.tx.QueryRow(ctx, sqlKnownTeam, teamID).Scan(&ok); err != nil {
		return false, fmt.Errorf("known team: %w", err)
	}
	return ok, nil
}

func (r *repo) TeamAgents(ctx context.Context, teamID string) ([]string, error) {
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

func (r *repo) LatestScore(ctx context.Context, leadID string) (*domain.Score, error) {
	var s domain.Score
	var factors []byte
	err := r.tx.QueryRow(ctx, sqlLatestScore, leadID).Scan(&s.Value, &factors)
	if postgres.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest score: %w", err)
	}
	if err := json.Unmarshal(factors, &s.Factors); err != nil {
		return nil, fmt.Errorf("latest score: factors: %w", err)
	}
	return &s, nil
}

// EnqueueRescore inserts the lead's rescore job in this transaction
// (RescoreArgs: unique per lead while one waits or runs).
func (r *repo) EnqueueRescore(ctx context.Context, orgID, leadID string) error {
	org, err := uuid.Parse(orgID)
	if err != nil {
		return fmt.Errorf("enqueue rescore: org: %w", err)
	}
	lead, err := uuid.Parse(leadID)
	if err != nil {
		return fmt.Errorf("enqueue rescore: lead: %w", err)
	}
	_, err = r.store.queue.Insert(ctx, r.tx, RescoreArgs{OrgID: org, LeadID: lead}, nil)
	return err
}
