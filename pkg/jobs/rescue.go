package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// River rescues a job whose attempt's process died once the attempt is
// RescueStuckJobsAfter old, but its rescuer runs only in the elected
// leader (which, after a crash of the leader, is re-elected only when its
// lease expires), looks only every 30 s, and that interval is not
// configurable; a rescued job then waits for its retry's backoff and for
// the leader's scheduler. The queue's rescuer closes that gap with River's
// own driver operations (JobGetStuck, JobRescueMany): every working process
// looks every RescueInterval, and makes an attempt older than RescueAfter
// available again at once — the window since the attempt began already
// spaces the retries of a job that keeps killing its process, and its
// attempts still count towards MaxAttempts. Several processes rescuing at
// once are harmless: JobRescueMany only touches a job still running from
// before the horizon, so the first one wins. River's rescuer stays on with
// the same window as a backstop.

// rescueBatch bounds the jobs one query rescues.
const rescueBatch = 100

// rescuedError is the attempt error a rescued job records.
const rescuedError = "the attempt's process stopped before it finished (crashed or killed): rescued by pkg/jobs"

func (q *Queue) rescueLoop(ctx context.Context) {
	t := time.NewTicker(q.settings.RescueInterval)
	defer t.Stop()
	for {
		if n, err := q.rescue(ctx); err != nil && ctx.Err() == nil {
			q.logger.WarnContext(ctx, "jobs: rescuing stuck jobs failed", "component", "jobs", "error", err)
		} else if n > 0 {
			q.logger.InfoContext(ctx, "jobs: rescued the jobs of crashed attempts", "component", "jobs", "jobs", n,
				"rescue_after", q.settings.RescueAfter.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// rescue makes the jobs whose attempt began more than RescueAfter ago and
// is still running available again (discarded when that was their last
// attempt, cancelled when a cancel was asked for), and returns how many.
func (q *Queue) rescue(ctx context.Context) (int, error) {
	exec := riverpgxv5.New(q.pool).GetExecutor()
	horizon := time.Now().Add(-q.settings.RescueAfter)
	var after int64
	total := 0
	for {
		stuck, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{AfterID: after, Max: rescueBatch, Schema: q.schema, StuckHorizon: horizon})
		if err != nil {
			return total, fmt.Errorf("jobs: find stuck jobs: %w", err)
		}
		if len(stuck) == 0 {
			return total, nil
		}
		now := time.Now().UTC()
		p := &riverdriver.JobRescueManyParams{Schema: q.schema, StuckHorizon: horizon}
		for _, job := range stuck {
			after = job.ID
			e, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(job.Attempt, 0), Error: rescuedError})
			if err != nil {
				return total, err
			}
			state, finalized := rescuedState(job), (*time.Time)(nil)
			if state != rivertype.JobStateAvailable {
				finalized = &now
			}
			p.ID = append(p.ID, job.ID)
			p.Error = append(p.Error, e)
			p.FinalizedAt = append(p.FinalizedAt, finalized)
			p.ScheduledAt = append(p.ScheduledAt, now)
			p.State = append(p.State, string(state))
		}
		if _, err := exec.JobRescueMany(ctx, p); err != nil {
			return total, fmt.Errorf("jobs: rescue stuck jobs: %w", err)
		}
		total += len(stuck)
		if len(stuck) < rescueBatch {
			return total, nil
		}
	}
}

// rescuedState is what a stuck job becomes, as River's rescuer decides:
// cancelled if a cancel was asked for while it ran, discarded after its
// last attempt, else available.
func rescuedState(job *rivertype.JobRow) rivertype.JobState {
	var meta struct {
		CancelAttemptedAt *time.Time `json:"cancel_attempted_at"`
	}
	_ = json.Unmarshal(job.Metadata, &meta) // River always writes an object
	switch {
	case meta.CancelAttemptedAt != nil:
		return rivertype.JobStateCancelled
	case job.Attempt >= job.MaxAttempts:
		return rivertype.JobStateDiscarded
	}
	return rivertype.JobStateAvailable
}
