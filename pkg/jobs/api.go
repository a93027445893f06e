package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/httpx"
	"reos.dev/pkg/routes"
)

// Permissions of the jobs API: reading jobs, and cancelling, retrying and
// replaying them. They are identity's "tasks" permissions (platform's
// /tasks is the same API aggregated), held by admins, sales and agents.
const (
	PermRead  = "tasks:read"
	PermWrite = "tasks:write"
)

// APIPath is where a service serves its jobs API: /api/v1/jobs/<service>,
// so the gateway routes it by prefix and platform aggregates it.
func APIPath(service string) string { return "/api/v1/jobs/" + service }

// Reasons of the jobs API's problems.
const (
	reasonJobNotFound = "job_not_found"
	reasonJobRunning  = "job_running"
	reasonJobFinished = "job_finished"
	reasonNotFinished = "job_not_finished"
)

// Routes returns the jobs API of service as rows of its route table
// (routes.Mount): list, get, cancel, retry and replay of the
// caller's org's jobs. Another org's job is a 404.
func (q *Queue) Routes(service string, logger *slog.Logger) []routes.Route {
	a := &api{q: q, service: service}
	log := logger.With("component", "jobs-api")
	base := APIPath(service)
	job := map[string]string{"job_id": "job"}
	return []routes.Route{
		{Method: http.MethodGet, Path: base, Perm: PermRead, Handler: httpx.Endpoint(log, decodeListRequest, a.list, http.StatusOK)},
		{Method: http.MethodGet, Path: base + "/{job_id}", Perm: PermRead, Owned: job, Handler: httpx.Endpoint(log, decodeJobID, a.get, http.StatusOK)},
		{Method: http.MethodPost, Path: base + "/{job_id}/cancel", Perm: PermWrite, Owned: job, Handler: httpx.Endpoint(log, decodeJobID, a.cancel, http.StatusOK)},
		{Method: http.MethodPost, Path: base + "/{job_id}/retry", Perm: PermWrite, Owned: job, Handler: httpx.Endpoint(log, decodeJobID, a.retry, http.StatusOK)},
		{Method: http.MethodPost, Path: base + "/{job_id}/replay", Perm: PermWrite, Owned: job, Handler: httpx.Endpoint(log, decodeJobID, a.replay, http.StatusCreated)},
	}
}

// Mount adds the jobs API of service to r behind authn (Routes, mounted).
func (q *Queue) Mount(r *mux.Router, service string, authn func(http.Handler) http.Handler, logger *slog.Logger) {
	if err := routes.Mount(r, authn, q.Routes(service, logger)); err != nil {
		panic(err) // unreachable: the table above is valid (TestRoutes)
	}
}

type api struct {
	q       *Queue
	service string
}

// Job is a job as the API shows it.
type Job struct {
	ID          int64           `json:"id"`
	Service     string          `json:"service"`
	Kind        string          `json:"kind"`
	Queue       string          `json:"queue"`
	State       string          `json:"state"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Priority    int             `json:"priority"`
	Args        json.RawMessage `json:"args"`
	Progress    json.RawMessage `json:"progress,omitempty"`
	Output      json.RawMessage `json:"output,omitempty"`
	ReplayOf    *int64          `json:"replay_of,omitempty"`
	// Continues and ContinuedBy link the steps of a long job (Continue):
	// the step this one goes on from, and the one that went on from it.
	Continues   *int64         `json:"continues,omitempty"`
	ContinuedBy *int64         `json:"continued_by,omitempty"`
	Errors      []AttemptError `json:"errors"`
	CreatedAt   time.Time      `json:"created_at"`
	ScheduledAt time.Time      `json:"scheduled_at"`
	AttemptedAt *time.Time     `json:"attempted_at"`
	FinalizedAt *time.Time     `json:"finalized_at"`
}

// AttemptError is one failed attempt.
type AttemptError struct {
	At      time.Time `json:"at"`
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
}

type jobMetadata struct {
	OrgID       string          `json:"org_id"`
	Progress    json.RawMessage `json:"progress"`
	Output      json.RawMessage `json:"output"`
	ReplayOf    *int64          `json:"replay_of"`
	Continues   *int64          `json:"continues"`
	ContinuedBy *int64          `json:"continued_by"`
}

func (a *api) toJob(row *rivertype.JobRow) Job {
	var meta jobMetadata
	_ = json.Unmarshal(row.Metadata, &meta) // River always writes an object
	errs := make([]AttemptError, len(row.Errors))
	for i, e := range row.Errors {
		errs[i] = AttemptError{At: e.At, Attempt: e.Attempt, Error: e.Error}
	}
	return Job{
		ID: row.ID, Service: a.service, Kind: row.Kind, Queue: row.Queue, State: string(row.State),
		Attempt: row.Attempt, MaxAttempts: row.MaxAttempts, Priority: row.Priority,
		Args: json.RawMessage(row.EncodedArgs), Progress: meta.Progress, Output: meta.Output, ReplayOf: meta.ReplayOf,
		Continues: meta.Continues, ContinuedBy: meta.ContinuedBy,
		Errors: errs, CreatedAt: row.CreatedAt, ScheduledAt: row.ScheduledAt,
		AttemptedAt: row.AttemptedAt, FinalizedAt: row.FinalizedAt,
	}
}

type listRequest struct {
	states []rivertype.JobState
	kinds  []string
	queues []string
	page   httpx.Page
}

var validStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
	rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

func decodeListRequest(_ context.Context, r *http.Request) (listRequest, error) {
	q := r.URL.Query()
	for name := range q {
		switch name {
		case "state", "kind", "queue", "limit", "cursor":
		default:
			return listRequest{}, apperr.BadRequest(name, "is not a filter of this list (state, kind, queue, limit, cursor)")
		}
	}
	page, err := httpx.ParsePage(r)
	if err != nil {
		return listRequest{}, err
	}
	req := listRequest{page: page, kinds: splitList(q.Get("kind")), queues: splitList(q.Get("queue"))}
	for _, s := range splitList(q.Get("state")) {
		st := rivertype.JobState(s)
		if !isValidState(st) {
			return listRequest{}, apperr.BadRequest("state", "must be one of available, cancelled, completed, discarded, pending, retryable, running, scheduled")
		}
		req.states = append(req.states, st)
	}
	return req, nil
}

func isValidState(st rivertype.JobState) bool {
	for _, v := range validStates {
		if v == st {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func decodeJobID(_ context.Context, r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(mux.Vars(r)["job_id"], 10, 64)
	if err != nil || id < 1 {
		return 0, apperr.NotFound(reasonJobNotFound, "no such job")
	}
	return id, nil
}

func (a *api) list(ctx context.Context, req listRequest) (httpx.List[Job], error) {
	org, err := callerOrg(ctx, PermRead)
	if err != nil {
		return httpx.List[Job]{}, err
	}
	meta, _ := json.Marshal(map[string]string{metaOrg: org.String()})
	params := river.NewJobListParams().
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).
		First(req.page.Limit).
		Metadata(string(meta))
	if len(req.states) > 0 {
		params = params.States(req.states...)
	} else {
		params = params.States(validStates...)
	}
	if len(req.kinds) > 0 {
		params = params.Kinds(req.kinds...)
	}
	if len(req.queues) > 0 {
		params = params.Queues(req.queues...)
	}
	if req.page.Cursor != "" {
		var c river.JobListCursor
		if err := c.UnmarshalText([]byte(req.page.Cursor)); err != nil {
			return httpx.List[Job]{}, apperr.BadRequest("cursor", "is not a valid cursor")
		}
		params = params.After(&c)
	}
	res, err := a.q.client.JobList(ctx, params)
	if err != nil {
		return httpx.List[Job]{}, err
	}
	items := make([]Job, len(res.Jobs))
	for i, row := range res.Jobs {
		items[i] = a.toJob(row)
	}
	var next string
	if len(res.Jobs) == req.page.Limit && res.LastCursor != nil {
		b, err := res.LastCursor.MarshalText()
		if err != nil {
			return httpx.List[Job]{}, err
		}
		next = string(b)
	}
	return httpx.NewList(items, next), nil
}

func (a *api) get(ctx context.Context, id int64) (Job, error) {
	row, err := a.find(ctx, id, PermRead)
	if err != nil {
		return Job{}, err
	}
	return a.toJob(row), nil
}

// cancel stops a job that has not finished: one waiting is cancelled at
// once, a running one is asked to stop (its attempt's context ends).
func (a *api) cancel(ctx context.Context, id int64) (Job, error) {
	row, err := a.find(ctx, id, PermWrite)
	if err != nil {
		return Job{}, err
	}
	if finalized(row.State) {
		return Job{}, apperr.Conflict(reasonJobFinished, "the job has already finished ("+string(row.State)+")")
	}
	row, err = a.q.client.JobCancel(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return a.toJob(row), nil
}

// retry makes a job that is not running available now, the same job: its
// attempts go on from where they were (River grants one more attempt to a
// job that has used all of its own).
func (a *api) retry(ctx context.Context, id int64) (Job, error) {
	row, err := a.find(ctx, id, PermWrite)
	if err != nil {
		return Job{}, err
	}
	if row.State == rivertype.JobStateRunning {
		return Job{}, apperr.Conflict(reasonJobRunning, "the job is running")
	}
	row, err = a.q.client.JobRetry(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return a.toJob(row), nil
}

// replay runs a finished job again as a new job with the same kind,
// arguments, queue and priority and a fresh set of attempts. The workers'
// effect keys make sure an effect the original already had is not repeated.
func (a *api) replay(ctx context.Context, id int64) (Job, error) {
	row, err := a.find(ctx, id, PermWrite)
	if err != nil {
		return Job{}, err
	}
	if !finalized(row.State) {
		return Job{}, apperr.Conflict(reasonNotFinished, "only a finished job (completed, cancelled or discarded) can be replayed; this one is "+string(row.State))
	}
	var meta jobMetadata
	if err := json.Unmarshal(row.Metadata, &meta); err != nil {
		return Job{}, err
	}
	org, err := uuid.Parse(meta.OrgID)
	if err != nil {
		return Job{}, err
	}
	opts, err := withOrg(&river.InsertOpts{Queue: row.Queue, Priority: row.Priority, MaxAttempts: MaxAttempts, Tags: row.Tags},
		org, map[string]any{metaReplayOf: row.ID})
	if err != nil {
		return Job{}, err
	}
	res, err := a.q.client.Insert(ctx, rawArgs{kind: row.Kind, args: row.EncodedArgs}, opts)
	if err != nil {
		return Job{}, err
	}
	return a.toJob(res.Job), nil
}

// find returns the caller's org's job id, checking perm; any other job is
// a 404 (whether it exists is not the caller's business).
func (a *api) find(ctx context.Context, id int64, perm string) (*rivertype.JobRow, error) {
	org, err := callerOrg(ctx, perm)
	if err != nil {
		return nil, err
	}
	row, err := a.q.client.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, apperr.NotFound(reasonJobNotFound, "no such job")
	}
	if err != nil {
		return nil, err
	}
	var meta jobMetadata
	if json.Unmarshal(row.Metadata, &meta) != nil || meta.OrgID != org.String() {
		return nil, apperr.NotFound(reasonJobNotFound, "no such job")
	}
	return row, nil
}

func callerOrg(ctx context.Context, perm string) (uuid.UUID, error) {
	p, err := auth.CallerWith(ctx, perm)
	if err != nil {
		return uuid.Nil, err
	}
	return uuid.Parse(p.OrgID) // Caller has checked it parses
}

func finalized(st rivertype.JobState) bool {
	return st == rivertype.JobStateCompleted || st == rivertype.JobStateCancelled || st == rivertype.JobStateDiscarded
}

// rawArgs re-inserts a recorded job's arguments unchanged.
type rawArgs struct {
	kind string
	args json.RawMessage
}

func (r rawArgs) Kind() string                 { return r.kind }
func (r rawArgs) MarshalJSON() ([]byte, error) { return r.args, nil }
