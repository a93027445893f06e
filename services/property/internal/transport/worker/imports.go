package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"reos.dev/pkg/apperr"
	"reos.dev/services/property/internal/app"
)

// importWorker runs app.Service.RunImport: one step of an import, within
// the queue's JOBS_TIMEOUT like any job (the import hands over to its next
// step before then).
type importWorker struct {
	river.WorkerDefaults[app.ImportJob]
	svc app.Service
}

func (w *importWorker) Work(ctx context.Context, job *river.Job[app.ImportJob]) error {
	err := w.svc.RunImport(ctx, job.Args, run[app.ImportJob]{job: job})
	if errors.Is(err, apperr.ErrNotFound) {
		// The import (or its file) is gone: no attempt will find it.
		return river.JobCancel(fmt.Errorf("import %s: %w", job.Args.ImportID, err))
	}
	return err
}

// importFileExpireWorker runs app.Service.ExpireImportFile.
type importFileExpireWorker struct {
	river.WorkerDefaults[app.ImportFileExpireJob]
	svc app.Service
}

func (w *importFileExpireWorker) Work(ctx context.Context, job *river.Job[app.ImportFileExpireJob]) error {
	err := w.svc.ExpireImportFile(ctx, job.Args, run[app.ImportFileExpireJob]{job: job})
	if errors.Is(err, apperr.ErrNotFound) {
		// No such import in the job's organisation: nothing of it to delete.
		return river.JobCancel(fmt.Errorf("import %s: %w", job.Args.ImportID, err))
	}
	return err
}
