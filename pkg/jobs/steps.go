package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Long work (an import of a million rows, a campaign's sends) runs as a
// chain of steps, because one long attempt is what makes a short rescue
// window unsafe and a crash expensive: a step works its share
// (Settings.StepTime, StepOver), then, in the transaction that commits its
// checkpoint, enqueues its successor and completes itself (Continue). So
// the successor exists exactly when the checkpoint does: a step that
// commits hands over, one that dies before committing leaves its job
// running with the previous checkpoint, and the rescuer (rescue.go) makes
// it available again to resume from there. Each step is a job of its own
// with its own attempts; the chain is visible in the jobs API (continues,
// continued_by).

type stepDeadlineKey struct{}

// attemptBounds is the River middleware that bounds every attempt: its
// context ends after JobTimeout even if the worker asks for a longer
// Timeout (an attempt that outlived the rescue window would run twice), and
// it carries the deadline of the attempt's step (StepOver).
type attemptBounds struct {
	river.WorkerMiddlewareDefaults
	timeout, step time.Duration
}

func (b *attemptBounds) Work(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
	now := time.Now()
	ctx, cancel := context.WithDeadline(ctx, now.Add(b.timeout))
	defer cancel()
	return doInner(context.WithValue(ctx, stepDeadlineKey{}, now.Add(b.step)))
}

// StepOver reports whether the attempt working in ctx has worked its
// step's share (Settings.StepTime from its start): a step should then take
// on no new work, commit what it has with Continue and return. Outside a
// job attempt it is false.
func StepOver(ctx context.Context) bool {
	d, ok := ctx.Value(stepDeadlineKey{}).(time.Time)
	return ok && !time.Now().Before(d)
}

// Continue ends job's step in tx, the transaction that commits the step's
// checkpoint: it enqueues next, the job's successor (same kind, queue and
// priority; the org and "continues": job's id in its metadata), records
// "continued_by" on job and completes it. It returns the successor's id.
// The checkpoint, the successor and the completion commit together or not
// at all; the worker then returns nil.
func Continue[T Args](ctx context.Context, q *Queue, tx pgx.Tx, job *river.Job[T], next T) (int64, error) {
	opts, err := withOrg(&river.InsertOpts{Queue: job.Queue, Priority: job.Priority, MaxAttempts: MaxAttempts, Tags: job.Tags},
		next.Org(), map[string]any{metaContinues: job.ID})
	if err != nil {
		return 0, err
	}
	res, err := q.client.InsertTx(ctx, tx, next, opts)
	if err != nil {
		return 0, fmt.Errorf("jobs: insert the successor of job %d: %w", job.ID, err)
	}
	if res.UniqueSkippedAsDuplicate {
		// A kind unique among running jobs meets the running step itself:
		// handing over would end the chain.
		return 0, fmt.Errorf("jobs: the successor of job %d (%s) was skipped as a duplicate of job %d: a job run in steps must not be unique among running jobs",
			job.ID, job.Kind, res.Job.ID)
	}
	if _, err := tx.Exec(ctx, "UPDATE "+pgx.Identifier{q.schema, "river_job"}.Sanitize()+
		" SET metadata = jsonb_set(metadata, '{"+metaContinuedBy+"}', to_jsonb($2::bigint)) WHERE id = $1", job.ID, res.Job.ID); err != nil {
		return 0, fmt.Errorf("jobs: record the successor of job %d: %w", job.ID, err)
	}
	if err := Complete(ctx, tx, job); err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}
