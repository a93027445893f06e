package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// ClaimEffect records, in tx, that the side effect named key happens for
// job. It returns false when the key is already recorded — by an earlier
// attempt that committed, or by the job this one replays — and the caller
// must then not apply the effect again. Claim, effect and Complete belong
// in one transaction, so they commit or vanish together.
func (q *Queue) ClaimEffect(ctx context.Context, tx pgx.Tx, key string, job JobRef, org uuid.UUID) (bool, error) {
	if key == "" {
		return false, errors.New("jobs: empty effect key")
	}
	tag, err := tx.Exec(ctx, "INSERT INTO "+pgx.Identifier{q.schema, "job_effects"}.Sanitize()+
		" (effect_key, job_id, kind, org_id) VALUES ($1, $2, $3, $4) ON CONFLICT (effect_key) DO NOTHING",
		key, job.ID, job.Kind, org)
	if err != nil {
		return false, fmt.Errorf("jobs: claim effect %q: %w", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// JobRef names the job claiming an effect.
type JobRef struct {
	ID   int64
	Kind string
}

// Ref returns job's reference for ClaimEffect.
func Ref[T river.JobArgs](job *river.Job[T]) JobRef { return JobRef{ID: job.ID, Kind: job.Kind} }

// Complete marks job completed in tx, so the completion commits with the
// job's effect; the worker then returns nil.
func Complete[T river.JobArgs](ctx context.Context, tx pgx.Tx, job *river.Job[T]) error {
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("jobs: complete job %d: %w", job.ID, err)
	}
	return nil
}
