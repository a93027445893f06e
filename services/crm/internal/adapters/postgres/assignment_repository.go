package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

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
)

func scanRule(row pgx.Row) (domain.AssignmentRule, error) {
	var r domain.AssignmentRule
	m := &r.Match
	err := row.Scan(&r.ID, &r.Name, &r.Position, &r.Enabled, &m.PostalCodes, &m.PostalCodePrefixes, &m.MinPriceCents, &m.MaxPriceCents,
		&m.SourceIDs, &r.Target.UserID, &r.Target.TeamID, &r.LastAssigneeID, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

func (r ruleRepo) List(ctx context.Context) ([]domain.AssignmentRule, error) {
	rows, err := r.tx.Query(ctx, sqlListRules)
	if err != nil {
		return nil, fmt.Errorf("list assignment rules: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.AssignmentRule, error) { return scanRule(row) })
}

func (r ruleRepo) GetForUpdate(ctx context.Context, id string) (domain.AssignmentRule, error) {
	rule, err := scanRule(r.tx.QueryRow(ctx, sqlGetRuleLocked, id))
	return rule, notFound(err, domain.ReasonRuleNotFound, "assignment rule")
}

func (r ruleRepo) Create(ctx context.Context, orgID string, a domain.AssignmentRule) error {
	m := a.Match
	_, err := r.tx.Exec(ctx, sqlInsertRule, a.ID, orgID, a.Name, a.Position, a.Enabled, m.PostalCodes, m.PostalCodePrefixes,
		m.MinPriceCents, m.MaxPriceCents, m.SourceIDs, a.Target.UserID, a.Target.TeamID, a.LastAssigneeID, a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert assignment rule: %w", err)
	}
	return nil
}

func (r ruleRepo) Update(ctx context.Context, a domain.AssignmentRule) error {
	m := a.Match
	tag, err := r.tx.Exec(ctx, sqlUpdateRule, a.ID, a.Name, a.Position, a.Enabled, m.PostalCodes, m.PostalCodePrefixes,
		m.MinPriceCents, m.MaxPriceCents, m.SourceIDs, a.Target.UserID, a.Target.TeamID, a.LastAssigneeID, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("update assignment rule: %w", err)
	}
	return expectOne(tag, domain.ReasonRuleNotFound, "assignment rule")
}

func (r ruleRepo) Delete(ctx context.Context, id string) error {
	tag, err := r.tx.Exec(ctx, sqlDeleteRule, id)
	if err != nil {
		return fmt.Errorf("delete assignment rule: %w", err)
	}
	return expectOne(tag, domain.ReasonRuleNotFound, "assignment rule")
}

func (r ruleRepo) Advance(ctx context.Context, id, userID string) error {
	tag, err := r.tx.Exec(ctx, sqlAdvanceRule, id, userID)
	if err != nil {
		return fmt.Errorf("advance assignment rule: %w", err)
	}
	return expectOne(tag, domain.ReasonRuleNotFound, "assignment rule")
}
