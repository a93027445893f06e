// Package app holds platform's use cases behind the interfaces the
// transport calls, and the ports they need.
package app

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/jobs"
)

// Permissions the tasks use cases check (identity's catalogue): the jobs
// API's own, and admin:* for the dead-letter queue.
const (
	PermTasksRead  = jobs.PermRead
	PermTasksWrite = jobs.PermWrite
	PermAdmin      = "admin:*"
)

// Reasons of the tasks' problems.
const (
	reasonTaskNotFound = "task_not_found"
)

// MaxRetryIDs bounds one POST /tasks/retry.
const MaxRetryIDs = 100

// JobsAPI is one service's jobs API (pkg/jobs Queue.Routes), called on
// the caller's behalf: every call carries the caller's identity, so the
// service itself scopes it to the caller's org and permissions.
type JobsAPI interface {
	List(ctx context.Context, query url.Values) (JobPage, error)
	Get(ctx context.Context, id int64) (jobs.Job, error)
	Cancel(ctx context.Context, id int64) (jobs.Job, error)
	Retry(ctx context.Context, id int64) (jobs.Job, error)
	Replay(ctx context.Context, id int64) (jobs.Job, error)
}

// JobPage is one page of a service's job list.
type JobPage struct {
	Items      []jobs.Job `json:"items"`
	NextCursor *string    `json:"next_cursor"`
}

// Task is a job of one service under its platform-wide id
// "<service>:<job id>" (TaskID); the rest is the service's job as its
// jobs API shows it (the service's own id is in the job's "service" and
// the number after the colon).
type Task struct {
	ID string `json:"id"`
	jobs.Job
}

// TaskID is the platform-wide id of a service's job.
func TaskID(service string, job int64) string { return service + ":" + strconv.FormatInt(job, 10) }

// Missing names a service whose part of an answer is absent, and why.
type Missing struct {
	Service string `json:"service"`
	Reason  string `json:"reason"`
	Detail  string `json:"detail"`
}

// TaskList is a page of the tasks of every service, newest first, and
// the services that could not answer.
type TaskList struct {
	Items      []Task    `json:"items"`
	NextCursor *string   `json:"next_cursor"`
	Missing    []Missing `json:"missing"`
}

// ListTasks is what GET /tasks and GET /admin/dlq ask for. Query is passed
// on to every service's list (state, kind, queue, limit); Services limits
// the services asked (all when empty); Cursor is a TaskList's NextCursor.
type ListTasks struct {
	Query    url.Values
	Services []string
	Cursor   string
}

// RetryResult is the outcome of retrying one task: the task, or the
// problem (status and reason) its service answered.
type RetryResult struct {
	ID    string      `json:"id"`
	Task  *Task       `json:"task,omitempty"`
	Error *RetryError `json:"error,omitempty"`
}

// RetryError is why one task of a retry did not happen.
type RetryError struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// Tasks aggregates every service's jobs API.
type Tasks struct {
	apis  map[string]JobsAPI
	names []string
}

// NewTasks returns the aggregation over apis (by service name).
func NewTasks(apis map[string]JobsAPI) (*Tasks, error) {
	if len(apis) == 0 {
		return nil, errors.New("app.NewTasks: no jobs API")
	}
	t := &Tasks{apis: apis}
	for name, api := range apis {
		if name == "" || strings.Contains(name, ":") || api == nil {
			return nil, errors.New("app.NewTasks: service " + strconv.Quote(name) + " has no name or no API")
		}
		t.names = append(t.names, name)
	}
	slices.Sort(t.names)
	return t, nil
}

// Services are the services aggregated, sorted.
func (t *Tasks) Services() []string { return slices.Clone(t.names) }

// List answers GET /tasks: each asked service's page in parallel, merged
// newest first. A service that cannot answer (down, slow, breaker open,
// failing) is named in Missing and the others are answered; a request one
// service refuses as bad (4xx) is refused as a whole, since every service
// was asked the same.
func (t *Tasks) List(ctx context.Context, req ListTasks) (TaskList, error) {
	if _, err := auth.CallerWith(ctx, PermTasksRead); err != nil {
		return TaskList{}, err
	}
	return t.list(ctx, req)
}

// DeadLetters answers GET /admin/dlq: every service's discarded jobs (the
// dead-letter queue), for an admin.
func (t *Tasks) DeadLetters(ctx context.Context, req ListTasks) (TaskList, error) {
	if _, err := auth.CallerWith(ctx, PermAdmin); err != nil {
		return TaskList{}, err
	}
	q := cloneValues(req.Query)
	q.Set("state", "discarded")
	req.Query = q
	return t.list(ctx, req)
}

func (t *Tasks) list(ctx context.Context, req ListTasks) (TaskList, error) {
	asked, cursors, err := t.plan(req)
	if err != nil {
		return TaskList{}, err
	}
	type answer struct {
		service string
		page    JobPage
		err     error
	}
	answers := make([]answer, len(asked))
	var wg sync.WaitGroup
	for i, name := range asked {
		wg.Go(func() {
			q := cloneValues(req.Query)
			if c := cursors[name]; c != "" {
				q.Set("cursor", c)
			}
			page, err := t.apis[name].List(ctx, q)
			answers[i] = answer{service: name, page: page, err: err}
		})
	}
	wg.Wait()
	out := TaskList{Items: []Task{}, Missing: []Missing{}}
	next := map[string]string{}
	for _, a := range answers {
		if a.err != nil {
			if !unavailable(a.err) {
				return TaskList{}, a.err
			}
			out.Missing = append(out.Missing, missing(a.service, a.err))
			continue
		}
		for _, j := range a.page.Items {
			out.Items = append(out.Items, Task{ID: TaskID(a.service, j.ID), Job: j})
		}
		if a.page.NextCursor != nil && *a.page.NextCursor != "" {
			next[a.service] = *a.page.NextCursor
		}
	}
	slices.SortFunc(out.Items, func(a, b Task) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(next) > 0 {
		c := encodeCursor(next)
		out.NextCursor = &c
	}
	return out, nil
}

// plan returns the services a list asks and each one's cursor: a first
// page asks every (chosen) service; a next page only those whose own list
// went on.
func (t *Tasks) plan(req ListTasks) ([]string, map[string]string, error) {
	asked := t.names
	if len(req.Services) > 0 {
		asked = nil
		for _, s := range req.Services {
			if _, ok := t.apis[s]; !ok {
				return nil, nil, apperr.BadRequest("service", "must be one of "+strings.Join(t.names, ", "))
			}
			if !slices.Contains(asked, s) {
				asked = append(asked, s)
			}
		}
	}
	if req.Cursor == "" {
		return asked, map[string]string{}, nil
	}
	cursors, err := decodeCursor(req.Cursor)
	if err != nil {
		return nil, nil, err
	}
	var rest []string
	for _, s := range asked {
		if cursors[s] != "" {
			rest = append(rest, s)
		}
	}
	for s := range cursors {
		if _, ok := t.apis[s]; !ok {
			return nil, nil, apperr.BadRequest("cursor", "is not a valid cursor")
		}
	}
	return rest, cursors, nil
}

// Get answers GET /tasks/{id}.
func (t *Tasks) Get(ctx context.Context, id string) (Task, error) {
	return t.call(ctx, id, PermTasksRead, JobsAPI.Get)
}

// Cancel answers DELETE /tasks/{id}: the service cancels its job (one
// waiting at once, a running one is asked to stop).
func (t *Tasks) Cancel(ctx context.Context, id string) (Task, error) {
	return t.call(ctx, id, PermTasksWrite, JobsAPI.Cancel)
}

// Replay answers POST /admin/dlq/{id}/replay: the service runs the
// finished job again as a new job (the task answered), whose effects
// already applied are not repeated (pkg/jobs effect keys).
func (t *Tasks) Replay(ctx context.Context, id string) (Task, error) {
	if _, err := auth.CallerWith(ctx, PermAdmin); err != nil {
		return Task{}, err
	}
	return t.call(ctx, id, PermTasksWrite, JobsAPI.Replay)
}

// Retry answers POST /tasks/retry: each task is retried by its service;
// one that cannot be (unknown, running, its service down) is reported in
// its result, the others are retried.
func (t *Tasks) Retry(ctx context.Context, ids []string) ([]RetryResult, error) {
	if _, err := auth.CallerWith(ctx, PermTasksWrite); err != nil {
		return nil, err
	}
	var problems apperr.Fields
	if len(ids) == 0 || len(ids) > MaxRetryIDs {
		problems.Add("ids", "must list from 1 to "+strconv.Itoa(MaxRetryIDs)+" task ids")
	}
	for i, id := range ids {
		if _, _, ok := ParseTaskID(id); !ok {
			problems.Add("ids["+strconv.Itoa(i)+"]", "must be a task id such as crm:42")
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	results := make([]RetryResult, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			task, err := t.call(ctx, id, PermTasksWrite, JobsAPI.Retry)
			results[i] = RetryResult{ID: id}
			if err != nil {
				e, ok := apperr.As(err)
				if !ok {
					e = apperr.New(apperr.KindUnavailable, "retry_failed", "the task's service did not answer")
				}
				results[i].Error = &RetryError{Reason: e.Reason, Detail: e.Message}
				return
			}
			results[i].Task = &task
		})
	}
	wg.Wait()
	return results, nil
}

func (t *Tasks) call(ctx context.Context, id, perm string, op func(JobsAPI, context.Context, int64) (jobs.Job, error)) (Task, error) {
	if _, err := auth.CallerWith(ctx, perm); err != nil {
		return Task{}, err
	}
	service, job, ok := ParseTaskID(id)
	api := t.apis[service]
	if !ok || api == nil {
		return Task{}, apperr.NotFound(reasonTaskNotFound, "no such task")
	}
	j, err := op(api, ctx, job)
	if err != nil {
		return Task{}, err
	}
	return Task{ID: TaskID(service, j.ID), Job: j}, nil
}

// ParseTaskID splits "<service>:<job id>".
func ParseTaskID(id string) (service string, job int64, ok bool) {
	service, num, found := strings.Cut(id, ":")
	if !found || service == "" {
		return "", 0, false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != num {
		return "", 0, false
	}
	return service, n, true
}

// unavailable reports whether err means the service could not answer
// (rather than answering that the request was wrong).
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	return apperr.KindOf(err) == apperr.KindUnavailable
}

func missing(service string, err error) Missing {
	m := Missing{Service: service, Reason: "dependency_unavailable", Detail: "the " + service + " service did not answer"}
	if e, ok := apperr.As(err); ok {
		m.Reason, m.Detail = e.Reason, e.Message
	}
	return m
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// The aggregated cursor is each service's own cursor by name, as
// base64url JSON: opaque to the client, and each service reads its own.
func encodeCursor(m map[string]string) string {
	b, _ := json.Marshal(m) // a map of strings always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (map[string]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var m map[string]string
	if err != nil || json.Unmarshal(b, &m) != nil || len(m) == 0 {
		return nil, apperr.BadRequest("cursor", "is not a valid cursor")
	}
	return m, nil
}
