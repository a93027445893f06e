package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"reos.dev/pkg/jobs"
	"reos.dev/services/property/internal/app"
)

// jobQueue is app.Jobs in one transaction: pkg/jobs over the same pgx.Tx
// as the repositories, so a job, an effect claim and a completion commit
// with the rows they belong to.
type jobQueue struct {
	tx    pgx.Tx
	queue *jobs.Queue
}

// RunningJob is what a JobRun handed to the store must also be: the River
// job behind it, which only the worker holds (transport/worker).
type RunningJob interface {
	app.JobRun
	Ref() jobs.JobRef
	Args() jobs.Args
	// CompleteTx marks the job completed in tx (jobs.Complete).
	CompleteTx(ctx context.Context, tx pgx.Tx) error
	// ContinueTx enqueues the job's successor in tx and completes the job
	// (jobs.Continue), returning the successor's id.
	ContinueTx(ctx context.Context, q *jobs.Queue, tx pgx.Tx) (int64, error)
}

func (q jobQueue) Enqueue(ctx context.Context, job app.Job) (int64, error) {
	row, err := q.queue.Insert(ctx, q.tx, job, &river.InsertOpts{Queue: job.Queue()})
	if err != nil {
		return 0, err
	}
	return row.ID, nil
}

func (q jobQueue) Schedule(ctx context.Context, job app.Job, at time.Time) (int64, error) {
	row, err := q.queue.Insert(ctx, q.tx, job, &river.InsertOpts{Queue: job.Queue(), ScheduledAt: at})
	if err != nil {
		return 0, err
	}
	return row.ID, nil
}

func (q jobQueue) ClaimEffect(ctx context.Context, run app.JobRun, key string) (bool, error) {
	r, err := running(run)
	if err != nil {
		return false, err
	}
	return q.queue.ClaimEffect(ctx, q.tx, key, r.Ref(), r.Args().Org())
}

func (q jobQueue) Complete(ctx context.Context, run app.JobRun) error {
	r, err := running(run)
	if err != nil {
		return err
	}
	return r.CompleteTx(ctx, q.tx)
}

func (q jobQueue) Continue(ctx context.Context, run app.JobRun) (int64, error) {
	r, err := running(run)
	if err != nil {
		return 0, err
	}
	return r.ContinueTx(ctx, q.queue, q.tx)
}

func running(run app.JobRun) (RunningJob, error) {
	r, ok := run.(RunningJob)
	if !ok {
		return nil, fmt.Errorf("postgres: job run %T is not a RunningJob", run)
	}
	return r, nil
}
