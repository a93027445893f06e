// Package worker is crm's job transport: River workers that hand each job
// attempt to its use case, as the HTTP transport hands requests. The use
// case claims the job's effect and completes the job in its own
// transaction (app.JobRun, adapters/postgres.NewJobRun).
package worker

import (
	"context"
	"errors"

	"github.com/riverqueue/river"

	"reos.dev/pkg/jobs"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
)

// Register adds crm's workers to workers; queue is where their effects are
// claimed.
func Register(workers *river.Workers, svc app.Service, queue *jobs.Queue) error {
	if workers == nil || svc == nil || queue == nil {
		return errors.New("worker: Register: nil workers, service or queue")
	}
	if err := river.AddWorkerSafely(workers, &importWorker{svc: svc, queue: queue}); err != nil {
		return err
	}
	if err := river.AddWorkerSafely(workers, &importFileExpireWorker{svc: svc, queue: queue}); err != nil {
		return err
	}
	return river.AddWorkerSafely(workers, &rescoreWorker{svc: svc, queue: queue})
}

// rescoreWorker rescores a lead after new activity
// (app.Service.RescoreLead).
type rescoreWorker struct {
	river.WorkerDefaults[pgstore.RescoreArgs]
	svc   app.Service
	queue *jobs.Queue
}

func (w *rescoreWorker) Work(ctx context.Context, job *river.Job[pgstore.RescoreArgs]) error {
	return w.svc.RescoreLead(ctx, job.Args.OrgID.String(), job.Args.LeadID.String(), pgstore.NewJobRun(w.queue, job))
}
