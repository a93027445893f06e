package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"reos.dev/pkg/jobs"
	"reos.dev/services/portfolio/internal/app"
)

// ReconcileKind is the River kind of the reconciliation job.
const ReconcileKind = "portfolio.reconcile"

// ReconcileArgs are the reconciliation job's arguments. It runs in steps
// (app.ReconciliationStep), so it must not be unique among running jobs.
type ReconcileArgs struct {
	OrgID            uuid.UUID `json:"org_id"`
	ReconciliationID uuid.UUID `json:"reconciliation_id"`
}

// Kind is the job's River kind.
func (ReconcileArgs) Kind() string { return ReconcileKind }

// Org is the organisation the job works for.
func (a ReconcileArgs) Org() uuid.UUID { return a.OrgID }

// InsertOpts put the job on the default queue.
func (ReconcileArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueDefault} }

func (r jobQueue) EnqueueReconciliation(ctx context.Context, orgID, reconciliationID string) (int64, error) {
	org, err := uuid.Parse(orgID)
	if err != nil {
		return 0, fmt.Errorf("enqueue reconciliation: %w", err)
	}
	id, err := uuid.Parse(reconciliationID)
	if err != nil {
		return 0, fmt.Errorf("enqueue reconciliation: %w", err)
	}
	job, err := r.queue.Insert(ctx, r.tx, ReconcileArgs{OrgID: org, ReconciliationID: id}, nil)
	if err != nil {
		return 0, err
	}
	return job.ID, nil
}

// reconcileStep is app.ReconciliationStep for a running River job.
type reconcileStep struct {
	queue *jobs.Queue
	job   *river.Job[ReconcileArgs]
}

// NewReconcileStep returns the step of job, handing over and completing
// through queue.
func NewReconcileStep(queue *jobs.Queue, job *river.Job[ReconcileArgs]) app.ReconciliationStep {
	return reconcileStep{queue: queue, job: job}
}

var errForeignTx = errors.New("postgres: job step: the transaction is not this store's")

func (s reconcileStep) Over(ctx context.Context) bool { return jobs.StepOver(ctx) }

func (s reconcileStep) Continue(ctx context.Context, tx app.Tx) error {
	r, ok := tx.(*repos)
	if !ok {
		return errForeignTx
	}
	_, err := jobs.Continue(ctx, s.queue, r.tx, s.job, s.job.Args)
	return err
}

func (s reconcileStep) Complete(ctx context.Context, tx app.Tx) error {
	r, ok := tx.(*repos)
	if !ok {
		return errForeignTx
	}
	return jobs.Complete(ctx, r.tx, s.job)
}

// Progress is shown by the jobs API while the job runs; a failure to
// record it does not fail the work.
func (s reconcileStep) Progress(ctx context.Context, checked, total int) {
	_ = s.queue.SetProgress(ctx, s.job.ID, map[string]int{"holdings_checked": checked, "holdings_total": total})
}
