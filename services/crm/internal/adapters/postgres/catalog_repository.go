package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/domain"
)

const (
	// Defaults are inserted on first use in an organisation, inside its
	// transaction; ON CONFLICT makes concurrent first uses harmless.
	sqlEnsureSources = `INSERT INTO crm.lead_sources (id, org_id, key, name, weight, created_at)
SELECT id, $1, key, name, weight, $2 FROM unnest($3::uuid[], $4::text[], $5::text[], $6::int[]) AS d(id, key, name, weight)
WHERE NOT EXISTS (SELECT 1 FROM crm.lead_sources)
ON CONFLICT DO NOTHING`
	sqlEnsureStages = `INSERT INTO crm.deal_stages (id, org_id, key, name, probability, position, kind, created_at)
SELECT id, $1, key, name, probability, position, kind, $2
FROM unnest($3::uuid[], $4::text[], $5::text[], $6::int[], $7::int[], $8::text[]) AS d(id, key, name, probability, position, kind)
WHERE NOT EXISTS (SELECT 1 FROM crm.deal_stages)
ON CONFLICT DO NOTHING`
	sqlListSources  = `SELECT id, key, name, weight FROM crm.lead_sources ORDER BY weight DESC, key`
	sqlGetSource    = `SELECT id, key, name, weight FROM crm.lead_sources WHERE id = $1`
	sqlInsertSource = `INSERT INTO crm.lead_sources (id, org_id, key, name, weight, created_at) VALUES ($1, $2, $3, $4, $5, $6)`
	sqlListStages   = `SELECT id, key, name, probability, position, kind FROM crm.deal_stages ORDER BY position, id`
	sqlInsertStage  = `INSERT INTO crm.deal_stages (id, org_id, key, name, probability, position, kind, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

	sqlGetSettings  = `SELECT agents_see_only_assigned, updated_at FROM crm.crm_settings`
	sqlSaveSettings = `INSERT INTO crm.crm_settings (org_id, agents_see_only_assigned, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (org_id) DO UPDATE SET agents_see_only_assigned = EXCLUDED.agents_see_only_assigned, updated_at = EXCLUDED.updated_at`
)

func (r catalogRepo) EnsureDefaults(ctx context.Context, orgID string, now time.Time) error {
	srcs := domain.LeadSourceDefaults()
	var ids, keys, names []string
	var weights []int32
	for _, s := range srcs {
		ids = append(ids, uuid.Must(uuid.NewV7()).String())
		// #nosec G115 -- the default sources' weights are small constants (domain.LeadSourceDefaults)
		keys, names, weights = append(keys, s.Key), append(names, s.Name), append(weights, int32(s.Weight))
	}
	if _, err := r.tx.Exec(ctx, sqlEnsureSources, orgID, now, ids, keys, names, weights); err != nil {
		return fmt.Errorf("default lead sources: %w", err)
	}
	ids, keys, names = nil, nil, nil
	var probs, positions []int32
	var kinds []string
	for _, s := range domain.DefaultStages() {
		ids = append(ids, uuid.Must(uuid.NewV7()).String())
		keys, names, kinds = append(keys, s.Key), append(names, s.Name), append(kinds, s.Kind)
		// #nosec G115 -- the default stages' probabilities (0–100) and positions are small constants
		probs, positions = append(probs, int32(s.Probability)), append(positions, int32(s.Position))
	}
	if _, err := r.tx.Exec(ctx, sqlEnsureStages, orgID, now, ids, keys, names, probs, positions, kinds); err != nil {
		return fmt.Errorf("default deal stages: %w", err)
	}
	return nil
}

func scanSource(row pgx.Row) (domain.LeadSource, error) {
	var s domain.LeadSource
	err := row.Scan(&s.ID, &s.Key, &s.Name, &s.Weight)
	return s, err
}

func (r catalogRepo) Sources(ctx context.Context) ([]domain.LeadSource, error) {
	rows, err := r.tx.Query(ctx, sqlListSources)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.LeadSource, error) { return scanSource(row) })
}

func (r catalogRepo) Source(ctx context.Context, id string) (domain.LeadSource, error) {
	s, err := scanSource(r.tx.QueryRow(ctx, sqlGetSource, id))
	return s, notFound(err, "lead_source_not_found", "lead source")
}

func (r catalogRepo) CreateSource(ctx context.Context, orgID string, s domain.LeadSource, now time.Time) error {
	_, err := r.tx.Exec(ctx, sqlInsertSource, s.ID, orgID, s.Key, s.Name, s.Weight, now)
	if _, dup := postgres.IsUniqueViolation(err); dup {
		return fieldConflict("key", "a lead source with this key exists")
	}
	return err
}

func (r catalogRepo) Stages(ctx context.Context) ([]domain.Stage, error) {
	rows, err := r.tx.Query(ctx, sqlListStages)
	if err != nil {
		return nil, fmt.Errorf("list stages: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Stage, error) {
		var s domain.Stage
		err := row.Scan(&s.ID, &s.Key, &s.Name, &s.Probability, &s.Position, &s.Kind)
		return s, err
	})
}

func (r catalogRepo) CreateStage(ctx context.Context, orgID string, s domain.Stage, now time.Time) error {
	_, err := r.tx.Exec(ctx, sqlInsertStage, s.ID, orgID, s.Key, s.Name, s.Probability, s.Position, s.Kind, now)
	if c, dup := postgres.IsUniqueViolation(err); dup {
		if c == "deal_stages_org_position_key" {
			return fieldConflict("position", "another stage has this position")
		}
		return fieldConflict("key", "a stage with this key exists")
	}
	return err
}

func fieldConflict(field, msg string) error {
	e := apperr.Conflict(domain.ReasonKeyTaken, msg)
	e.Fields = []apperr.FieldError{{Field: field, Message: msg}}
	return e
}

func (r catalogRepo) Settings(ctx context.Context) (domain.Settings, error) {
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

func (r catalogRepo) SaveSettings(ctx context.Context, orgID string, s domain.Settings) error {
	if s.UpdatedAt == nil {
		return errors.New("save settings: no update time")
	}
	if _, err := r.tx.Exec(ctx, sqlSaveSettings, orgID, s.AgentsSeeOnlyAssigned, *s.UpdatedAt); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}
