// Package worker is portfolio's job transport: River workers that hand
// each job attempt to its use case, as the HTTP transport hands requests.
package worker

import (
	"context"
	"errors"

	"github.com/riverqueue/river"

	"reos.dev/pkg/jobs"
	pgstore "reos.dev/services/portfolio/internal/adapters/postgres"
	"reos.dev/services/portfolio/internal/app"
)

// Register adds portfolio's workers to workers; queue is where their steps
// hand over.
func Register(workers *river.Workers, svc app.Service, queue *jobs.Queue) error {
	if workers == nil || svc == nil || queue == nil {
		return errors.New("worker: Register: nil workers, service or queue")
	}
	return river.AddWorkerSafely(workers, &reconcileWorker{svc: svc, queue: queue})
}

// reconcileWorker works a reconciliation in steps
// (app.Service.RunReconciliation).
type reconcileWorker struct {
	river.WorkerDefaults[pgstore.ReconcileArgs]
	svc   app.Service
	queue *jobs.Queue
}

func (w *reconcileWorker) Work(ctx context.Context, job *river.Job[pgstore.ReconcileArgs]) error {
	return w.svc.RunReconciliation(ctx, job.Args.OrgID.String(), job.Args.ReconciliationID.String(), pgstore.NewReconcileStep(w.queue, job))
}
