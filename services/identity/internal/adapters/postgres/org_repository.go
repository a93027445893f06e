package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
	"reos.dev/services/identity/internal/domain"
)

const (
	sqlOrgInsert = `INSERT INTO identity.organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $4)`
	sqlOrgGet    = `SELECT id, name, created_at, updated_at FROM identity.organizations WHERE id = $1`
	sqlOrgLock   = `SELECT id FROM identity.organizations WHERE id = $1 FOR UPDATE`
)

type orgRepo struct{ tx pgx.Tx }

func errOrgNotFound() error { return apperr.NotFound("organization_not_found", "no such organization") }

func (r orgRepo) Create(ctx context.Context, o domain.Organization) error {
	if _, err := r.tx.Exec(ctx, sqlOrgInsert, o.ID, o.Name, o.CreatedAt, o.UpdatedAt); err != nil {
		return fmt.Errorf("insert organization: %w", mapUnique(err))
	}
	return nil
}

func (r orgRepo) Get(ctx context.Context, id string) (domain.Organization, error) {
	var o domain.Organization
	err := r.tx.QueryRow(ctx, sqlOrgGet, id).Scan(&o.ID, &o.Name, &o.CreatedAt, &o.UpdatedAt)
	if err != nil {
		return o, notFound(err, errOrgNotFound)
	}
	return o, nil
}

func (r orgRepo) Lock(ctx context.Context, id string) error {
	var got string
	if err := r.tx.QueryRow(ctx, sqlOrgLock, id).Scan(&got); err != nil {
		return notFound(err, errOrgNotFound)
	}
	return nil
}
