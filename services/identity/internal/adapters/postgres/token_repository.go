package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
	"reos.dev/services/identity/internal/app"
	"reos.dev/services/identity/internal/domain"
)

const (
	sqlTokenInsert = `INSERT INTO identity.refresh_tokens (id, org_id, user_id, family_id, issued_at, expires_at)
	VALUES ($1, $2, $3, $4, $5, $6)`
	// #nosec G101 -- SQL naming the refresh_tokens table, not a credential
	sqlTokenGetFU = `SELECT id, org_id, user_id, family_id, issued_at, expires_at, used_at, replaced_by, revoked_at
	FROM identity.refresh_tokens WHERE id = $1 FOR UPDATE`
	sqlTokenMarkUsed     = `UPDATE identity.refresh_tokens SET used_at = $3, replaced_by = $2 WHERE id = $1`
	sqlTokenRevokeFamily = `UPDATE identity.refresh_tokens SET revoked_at = $2, revoke_reason = $3
	WHERE family_id = $1 AND revoked_at IS NULL`
	sqlTokenRevokeUser = `UPDATE identity.refresh_tokens SET revoked_at = $2, revoke_reason = $3
	WHERE user_id = $1 AND revoked_at IS NULL
	RETURNING family_id`
	sqlTokenRevokeRoleHolders = `UPDATE identity.refresh_tokens t SET revoked_at = $2, revoke_reason = $3
	FROM identity.user_roles ur
	WHERE ur.role_id = $1 AND t.user_id = ur.user_id AND t.revoked_at IS NULL
	RETURNING t.user_id, t.family_id`
)

type tokenRepo struct{ tx pgx.Tx }

func errTokenNotFound() error {
	return apperr.NotFound("refresh_token_not_found", "no such refresh token")
}

func (r tokenRepo) Create(ctx context.Context, t domain.RefreshToken) error {
	if _, err := r.tx.Exec(ctx, sqlTokenInsert, t.ID, t.OrgID, t.UserID, t.FamilyID, t.IssuedAt, t.ExpiresAt); err != nil {
		return fmt.Errorf("insert refresh token: %w", err)
	}
	return nil
}

func (r tokenRepo) GetForUpdate(ctx context.Context, id string) (domain.RefreshToken, error) {
	var t domain.RefreshToken
	err := r.tx.QueryRow(ctx, sqlTokenGetFU, id).Scan(&t.ID, &t.OrgID, &t.UserID, &t.FamilyID, &t.IssuedAt,
		&t.ExpiresAt, &t.UsedAt, &t.ReplacedBy, &t.RevokedAt)
	if err != nil {
		return t, notFound(err, errTokenNotFound)
	}
	return t, nil
}

func (r tokenRepo) MarkUsed(ctx context.Context, id, replacedBy string, at time.Time) error {
	tag, err := r.tx.Exec(ctx, sqlTokenMarkUsed, id, replacedBy, at)
	if err != nil {
		return fmt.Errorf("mark refresh token used: %w", err)
	}
	return expectOne(tag.RowsAffected(), errTokenNotFound)
}

func (r tokenRepo) RevokeFamily(ctx context.Context, familyID string, at time.Time, reason string) (int, error) {
	tag, err := r.tx.Exec(ctx, sqlTokenRevokeFamily, familyID, at, reason)
	if err != nil {
		return 0, fmt.Errorf("revoke refresh family: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

func (r tokenRepo) RevokeUser(ctx context.Context, userID string, at time.Time, reason string) ([]string, error) {
	rows, err := r.tx.Query(ctx, sqlTokenRevokeUser, userID, at, reason)
	if err != nil {
		return nil, fmt.Errorf("revoke user refresh tokens: %w", err)
	}
	families, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("revoke user refresh tokens: %w", err)
	}
	slices.Sort(families)
	return slices.Compact(families), nil
}

func (r tokenRepo) RevokeRoleHolders(ctx context.Context, roleID string, at time.Time, reason string) ([]app.UserSessions, error) {
	rows, err := r.tx.Query(ctx, sqlTokenRevokeRoleHolders, roleID, at, reason)
	if err != nil {
		return nil, fmt.Errorf("revoke role holders' refresh tokens: %w", err)
	}
	type pair struct{ user, family string }
	pairs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pair, error) {
		var p pair
		return p, row.Scan(&p.user, &p.family)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke role holders' refresh tokens: %w", err)
	}
	byUser := map[string][]string{}
	for _, p := range pairs {
		if !slices.Contains(byUser[p.user], p.family) {
			byUser[p.user] = append(byUser[p.user], p.family)
		}
	}
	out := make([]app.UserSessions, 0, len(byUser))
	for _, user := range slices.Sorted(maps.Keys(byUser)) {
		out = append(out, app.UserSessions{UserID: user, Sessions: byUser[user]})
	}
	return out, nil
}
