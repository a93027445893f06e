package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"reos.dev/pkg/jobs"
	"reos.dev/services/crm/internal/app"
)

// RescoreKind is the River kind of the lead rescoring job.
const RescoreKind = "crm.lead_rescore"

// RescoreArgs are the arguments of the job that rescores a lead after new
// activity (app.Service.RescoreLead).
type RescoreArgs struct {
	OrgID  uuid.UUID `json:"org_id"`
	LeadID uuid.UUID `json:"lead_id"`
}

// Kind is the job's River kind.
func (RescoreArgs) Kind() string { return RescoreKind }

// Org is the organisation the job works for.
func (a RescoreArgs) Org() uuid.UUID { return a.OrgID }

// InsertOpts make the job unique per lead among jobs that have not
// finished: while one waits, retries or runs, logging another activity adds
// none. Completed jobs are left out of the unique states, so an activity
// logged after a rescore committed always gets a job of its own; one logged
// while a job runs is seen by it, because the job scores under the lead's
// row lock, which the activity's transaction holds until it commits.
func (RescoreArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue: jobs.QueueDefault,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
				rivertype.JobStateRunning, rivertype.JobStateScheduled,
			},
		},
	}
}

// jobRun is app.JobRun for a running River job over this store's
// transactions.
type jobRun[T jobs.Args] struct {
	queue *jobs.Queue
	job   *river.Job[T]
}

// NewJobRun returns the app.JobRun of job, claiming effects in queue's
// schema.
func NewJobRun[T jobs.Args](queue *jobs.Queue, job *river.Job[T]) app.JobRun {
	return jobRun[T]{queue: queue, job: job}
}

var errForeignTx = errors.New("postgres: job run: the transaction is not this store's")

func (j jobRun[T]) ClaimEffect(ctx context.Context, tx app.Tx, key string) (bool, error) {
	r, ok := tx.(*repos)
	if !ok {
		return false, errForeignTx
	}
	return j.queue.ClaimEffect(ctx, r.tx, key, jobs.Ref(j.job), j.job.Args.Org())
}

func (j jobRun[T]) Complete(ctx context.Context, tx app.Tx) error {
	r, ok := tx.(*repos)
	if !ok {
		return errForeignTx
	}
	return jobs.Complete(ctx, r.tx, j.job)
}

// EnqueueRescore inserts the lead's rescore job in this transaction
// (RescoreArgs: unique per lead while one waits or runs).
func (r jobQueue) EnqueueRescore(ctx context.Context, orgID, leadID string) error {
	org, err := uuid.Parse(orgID)
	if err != nil {
		return fmt.Errorf("enqueue rescore: org: %w", err)
	}
	lead, err := uuid.Parse(leadID)
	if err != nil {
		return fmt.Errorf("enqueue rescore: lead: %w", err)
	}
	_, err = r.queue.Insert(ctx, r.tx, RescoreArgs{OrgID: org, LeadID: lead}, nil)
	return err
}

func (r jobQueue) ScheduleImportFileExpiry(ctx context.Context, orgID, importID string, at time.Time) error {
	org, err := uuid.Parse(orgID)
	if err != nil {
		return fmt.Errorf("schedule lead import file expiry: %w", err)
	}
	id, err := uuid.Parse(importID)
	if err != nil {
		return fmt.Errorf("schedule lead import file expiry: %w", err)
	}
	_, err = r.queue.Insert(ctx, r.tx, ImportFileExpireArgs{OrgID: org, ImportID: id, ExpiresAt: at},
		&river.InsertOpts{ScheduledAt: at})
	return err
}

func (r jobQueue) EnqueueImport(ctx context.Context, orgID, importID string) (int64, error) {
	org, err := uuid.Parse(orgID)
	if err != nil {
		return 0, fmt.Errorf("enqueue lead import: %w", err)
	}
	id, err := uuid.Parse(importID)
	if err != nil {
		return 0, fmt.Errorf("enqueue lead import: %w", err)
	}
	job, err := r.queue.Insert(ctx, r.tx, ImportArgs{OrgID: org, ImportID: id}, nil)
	if err != nil {
		return 0, err
	}
	return job.ID, nil
}
