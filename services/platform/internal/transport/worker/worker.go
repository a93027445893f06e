// Package worker is platform's job transport: River workers that hand each
// job attempt to its use case, as the HTTP transport hands requests.
package worker

import (
	"context"

	"github.com/riverqueue/river"

	pgstore "reos.dev/services/platform/internal/adapters/postgres"
	"reos.dev/services/platform/internal/app"
)

// Register adds platform's workers to workers.
func Register(workers *river.Workers, hooks *app.Webhooks) error {
	return river.AddWorkerSafely(workers, &deliveryWorker{hooks: hooks})
}

// deliveryWorker makes a webhook message's next attempt. The webhook
// schedule (ten attempts over about three days, Retry-After honoured) is
// the job's snoozes, not River's retries: those are left for what fails
// around the attempt (the database), and an attempt's failure is a
// logged answer, not an error.
type deliveryWorker struct {
	river.WorkerDefaults[pgstore.DeliveryArgs]
	hooks *app.Webhooks
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[pgstore.DeliveryArgs]) error {
	again, retry, err := w.hooks.Deliver(ctx, job.Args.OrgID.String(), job.Args.MessageID)
	if err != nil {
		return err
	}
	if retry {
		return river.JobSnooze(again)
	}
	return nil
}
