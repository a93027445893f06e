package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"reos.dev/pkg/jobs"
	"reos.dev/services/outreach/internal/app"
)

// River kinds of outreach's jobs.
const (
	StepKind     = "outreach.campaign_step"
	ReplyKind    = "outreach.keyword_reply"
	DeferredKind = "outreach.deferred_send"
)

// StepArgs are a campaign step job's arguments: the campaign. Not unique:
// a step hands over to a successor while it still runs (jobs.Continue),
// and two chains of one campaign are harmless (targets are claimed under
// SKIP LOCKED with a lease, messages under their keys).
type StepArgs struct {
	OrgID      uuid.UUID `json:"org_id"`
	CampaignID uuid.UUID `json:"campaign_id"`
}

// Kind is the job's River kind.
func (StepArgs) Kind() string { return StepKind }

// Org is the organisation the job works for.
func (a StepArgs) Org() uuid.UUID { return a.OrgID }

// InsertOpts put campaign execution on the default queue.
func (StepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueDefault} }

// DeferredArgs are a deferred single send's arguments: its attempt.
type DeferredArgs struct {
	OrgID     uuid.UUID `json:"org_id"`
	AttemptID uuid.UUID `json:"attempt_id"`
}

// Kind is the job's River kind.
func (DeferredArgs) Kind() string { return DeferredKind }

// Org is the organisation the job works for.
func (a DeferredArgs) Org() uuid.UUID { return a.OrgID }

// ReplyArgs are a keyword answer's arguments (app.Reply).
type ReplyArgs struct {
	OrgID     uuid.UUID `json:"org_id"`
	To        string    `json:"to"`
	Body      string    `json:"body"`
	Key       string    `json:"key"`
	ContactID *string   `json:"contact_id,omitempty"`
	LeadID    *string   `json:"lead_id,omitempty"`
}

// Kind is the job's River kind.
func (ReplyArgs) Kind() string { return ReplyKind }

// Org is the organisation the job works for.
func (a ReplyArgs) Org() uuid.UUID { return a.OrgID }

// InsertOpts put answers on the high-priority queue: the recipient waits.
func (ReplyArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueHigh} }

func (q jobQueue) EnqueueStep(ctx context.Context, orgID, campaignID string) error {
	org, err1 := uuid.Parse(orgID)
	c, err2 := uuid.Parse(campaignID)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("enqueue step: bad id %q / %q", orgID, campaignID)
	}
	_, err := q.queue.Insert(ctx, q.tx, StepArgs{OrgID: org, CampaignID: c}, nil)
	return err
}

func (q jobQueue) EnqueueDeferred(ctx context.Context, orgID, attemptID string, at time.Time) error {
	org, err1 := uuid.Parse(orgID)
	id, err2 := uuid.Parse(attemptID)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("enqueue deferred send: bad id %q / %q", orgID, attemptID)
	}
	_, err := q.queue.Insert(ctx, q.tx, DeferredArgs{OrgID: org, AttemptID: id}, &river.InsertOpts{Queue: jobs.QueueDefault, ScheduledAt: at})
	return err
}

func (q jobQueue) EnqueueReply(ctx context.Context, orgID string, r app.Reply) error {
	org, err := uuid.Parse(orgID)
	if err != nil {
		return fmt.Errorf("enqueue reply: bad org %q", orgID)
	}
	_, err = q.queue.Insert(ctx, q.tx, ReplyArgs{OrgID: org, To: r.To, Body: r.Body, Key: r.Key, ContactID: r.ContactID, LeadID: r.LeadID}, nil)
	return err
}

// stepRun is app.StepRun for a running step job over this store's
// transactions.
type stepRun struct {
	queue *jobs.Queue
	job   *river.Job[StepArgs]
}

// NewStepRun returns the app.StepRun of a step job.
func NewStepRun(queue *jobs.Queue, job *river.Job[StepArgs]) app.StepRun {
	return stepRun{queue: queue, job: job}
}

func (s stepRun) StepOver(ctx context.Context) bool { return jobs.StepOver(ctx) }

func (s stepRun) Continue(ctx context.Context, tx app.Tx) error {
	r, ok := tx.(*repos)
	if !ok {
		return errForeignTx
	}
	_, err := jobs.Continue(ctx, s.queue, r.tx, s.job, s.job.Args)
	return err
}

func (s stepRun) Complete(ctx context.Context, tx app.Tx) error {
	r, ok := tx.(*repos)
	if !ok {
		return errForeignTx
	}
	return jobs.Complete(ctx, r.tx, s.job)
}

var errForeignTx = fmt.Errorf("postgres: job run: the transaction is not this store's")
