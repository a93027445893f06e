package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/jobs"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
	"reos.dev/services/crm/internal/app"
)

// importWorker works a large lead import (app.Service.RunLeadImport).
type importWorker struct {
	river.WorkerDefaults[pgstore.ImportArgs]
	svc   app.Service
	queue *jobs.Queue
}

func (w *importWorker) Work(ctx context.Context, job *river.Job[pgstore.ImportArgs]) error {
	err := w.svc.RunLeadImport(ctx, job.Args.OrgID.String(), job.Args.ImportID.String(), pgstore.NewImportRun(w.queue, job))
	if errors.Is(err, apperr.ErrNotFound) {
		// The import row is gone: no attempt will find it.
		return river.JobCancel(fmt.Errorf("lead import %s: %w", job.Args.ImportID, err))
	}
	return err
}

// importFileExpireWorker deletes an ended lead import's file
// (app.Service.ExpireLeadImportFile).
type importFileExpireWorker struct {
	river.WorkerDefaults[pgstore.ImportFileExpireArgs]
	svc   app.Service
	queue *jobs.Queue
}

func (w *importFileExpireWorker) Work(ctx context.Context, job *river.Job[pgstore.ImportFileExpireArgs]) error {
	a := job.Args
	err := w.svc.ExpireLeadImportFile(ctx, a.OrgID.String(), a.ImportID.String(), a.ExpiresAt, pgstore.NewJobRun(w.queue, job))
	if errors.Is(err, apperr.ErrNotFound) {
		// No such import in the job's organisation: nothing of it to delete.
		return river.JobCancel(fmt.Errorf("lead import %s: %w", a.ImportID, err))
	}
	return err
}
