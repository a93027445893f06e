// Package worker is property's job transport: River workers that hand each
// job attempt to its use case, as the HTTP transport hands requests. The
// use case records the job's effect and completes the job in its own
// transaction through the store (adapters/postgres.RunningJob).
package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/jobs"
	"reos.dev/services/property/internal/adapters/postgres"
	"reos.dev/services/property/internal/app"
)

// Register adds property's workers to workers.
func Register(workers *river.Workers, svc app.Service) error {
	if workers == nil || svc == nil {
		return errors.New("worker: Register: nil workers or service")
	}
	return errors.Join(
		river.AddWorkerSafely(workers, &valuationWorker{svc: svc}),
		river.AddWorkerSafely(workers, &importWorker{svc: svc}), // imports.go
		river.AddWorkerSafely(workers, &importFileExpireWorker{svc: svc}),
	)
}

// valuationWorker runs app.Service.RunValuation.
type valuationWorker struct {
	river.WorkerDefaults[app.ValuationJob]
	svc app.Service
}

func (w *valuationWorker) Work(ctx context.Context, job *river.Job[app.ValuationJob]) error {
	err := w.svc.RunValuation(ctx, job.Args, run[app.ValuationJob]{job: job})
	if errors.Is(err, apperr.ErrNotFound) {
		// The valuation (or its property) is gone: no attempt will find it.
		return river.JobCancel(fmt.Errorf("valuation %s: %w", job.Args.ValuationID, err))
	}
	return err
}

// run is a River job attempt as app.JobRun and postgres.RunningJob.
type run[T jobs.Args] struct{ job *river.Job[T] }

var _ postgres.RunningJob = run[app.ValuationJob]{}

func (r run[T]) JobID() int64      { return r.job.ID }
func (r run[T]) LastAttempt() bool { return r.job.Attempt >= r.job.MaxAttempts }
func (r run[T]) Ref() jobs.JobRef  { return jobs.Ref(r.job) }
func (r run[T]) Args() jobs.Args   { return r.job.Args }
func (r run[T]) CompleteTx(ctx context.Context, tx pgx.Tx) error {
	return jobs.Complete(ctx, tx, r.job)
}
func (r run[T]) StepOver(ctx context.Context) bool { return jobs.StepOver(ctx) }
func (r run[T]) ContinueTx(ctx context.Context, q *jobs.Queue, tx pgx.Tx) (int64, error) {
	return jobs.Continue(ctx, q, tx, r.job, r.job.Args)
}
