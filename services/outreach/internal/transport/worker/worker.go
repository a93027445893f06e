// Package worker is outreach's job transport: River workers that hand each
// job attempt to its use case, as the HTTP transport hands requests, and
// the scheduler's loop.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/jobs"
	pgstore "reos.dev/services/outreach/internal/adapters/postgres"
	"reos.dev/services/outreach/internal/app"
)

// Register adds outreach's workers to workers; queue is where their steps
// hand over.
func Register(workers *river.Workers, svc app.Service, queue *jobs.Queue) error {
	if workers == nil || svc == nil || queue == nil {
		return errors.New("worker: Register: nil workers, service or queue")
	}
	if err := river.AddWorkerSafely(workers, &stepWorker{svc: svc, queue: queue}); err != nil {
		return err
	}
	if err := river.AddWorkerSafely(workers, &deferredWorker{svc: svc}); err != nil {
		return err
	}
	return river.AddWorkerSafely(workers, &replyWorker{svc: svc, queue: queue})
}

// stepWorker works a step of a campaign's execution (app.Service.RunCampaignStep).
type stepWorker struct {
	river.WorkerDefaults[pgstore.StepArgs]
	svc   app.Service
	queue *jobs.Queue
}

func (w *stepWorker) Work(ctx context.Context, job *river.Job[pgstore.StepArgs]) error {
	err := w.svc.RunCampaignStep(ctx, job.Args.OrgID.String(), job.Args.CampaignID.String(), pgstore.NewStepRun(w.queue, job))
	if errors.Is(err, apperr.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("campaign %s: %w", job.Args.CampaignID, err))
	}
	return err
}

// deferredWorker sends a single message once its quiet hours are over
// (app.Service.SendDeferred).
type deferredWorker struct {
	river.WorkerDefaults[pgstore.DeferredArgs]
	svc app.Service
}

func (w *deferredWorker) Work(ctx context.Context, job *river.Job[pgstore.DeferredArgs]) error {
	err := w.svc.SendDeferred(ctx, job.Args.OrgID.String(), job.Args.AttemptID.String())
	if errors.Is(err, apperr.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}

// replyWorker sends a keyword's answer (app.Service.SendReply).
type replyWorker struct {
	river.WorkerDefaults[pgstore.ReplyArgs]
	svc   app.Service
	queue *jobs.Queue
}

func (w *replyWorker) Work(ctx context.Context, job *river.Job[pgstore.ReplyArgs]) error {
	a := job.Args
	return w.svc.SendReply(ctx, a.OrgID.String(), app.Reply{To: a.To, Body: a.Body, Key: a.Key, ContactID: a.ContactID, LeadID: a.LeadID})
}

// Scheduler runs svc's scheduler every interval until ctx ends (a
// service.Worker of the binary).
func Scheduler(svc app.Service, interval time.Duration, logger *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if _, err := svc.RunScheduler(ctx); err != nil && ctx.Err() == nil {
				logger.ErrorContext(ctx, "scheduler", "error", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
}
