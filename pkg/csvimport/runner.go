package csvimport

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/storage"
)

// The runner is the one lifecycle of an import job, whatever the rows are
// (docs/architecture.md, "CSV imports"): the file is read from its
// checkpoint in batches, each batch written in one transaction with the
// import's new checkpoint and report, so a run that stops anywhere (a
// crash, a lost connection, a killed process) and starts again neither
// repeats nor loses a row. In a job the run works in steps (pkg/jobs): once
// the step's time is up, the batch being filled is its last and its
// transaction hands over to the next step. The import ends completed, or
// failed with a reason (the file cannot be read on, it is gone, the job
// gave up), in the transaction of its last write; its end schedules the
// deletion of its file after the retention. A service supplies only its
// import row (Store) and how a record becomes a row and a batch of rows is
// written (Importer, Batches).

// Import statuses.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// State is what the runner reads and writes of an import. A service's
// import type embeds it beside its own fields (file name, creator,
// counts of its own) and so satisfies Stateful.
type State struct {
	ID    string
	OrgID string
	// Status is one of the Status constants.
	Status   string
	FileKey  string
	FileSize int64
	// Mapping maps the file's column headers to fields (Options.Mapping).
	Mapping map[string]string
	// Report is the report so far: up to Checkpoint while running.
	Report Report
	// Checkpoint is where the last committed batch ended; a run resumes
	// there (by seeking when Offset is set).
	Checkpoint Position
	// JobID is the job step working the import (nil: imported inline).
	JobID *int64
	// Failure says why a failed import stopped.
	Failure    *string
	StartedAt  *time.Time
	FinishedAt *time.Time
	UpdatedAt  time.Time
	// FileExpiresAt is when the file's deletion is scheduled (set when the
	// import ends, cleared when it is resumed); FileDeletedAt is when the
	// file was deleted (Store.MarkFileDeleted sets it, nothing clears it).
	FileExpiresAt *time.Time
	FileDeletedAt *time.Time
}

// ImportState returns s: a type embedding State is Stateful.
func (s *State) ImportState() *State { return s }

// Ended reports whether the import has ended (completed or failed); only
// an ended import's file may expire.
func (s State) Ended() bool { return s.Status == StatusCompleted || s.Status == StatusFailed }

// FileDue reports whether a file deletion scheduled for at is still the
// import's current one: the import has ended and the deletion its end
// scheduled is this one. A resumed import cleared it, and its next end
// schedules another, so an older deletion finds nothing to do.
func (s State) FileDue(at time.Time) bool {
	return s.Ended() && s.FileExpiresAt != nil && s.FileExpiresAt.Equal(at)
}

// NewReport is an empty report whose lists encode as [] rather than null.
func NewReport() Report {
	return Report{Errors: []RowError{}, IgnoredColumns: []string{}, Columns: []ColumnMapping{}}
}

// Stateful is a service's import type (a pointer to it): it holds a State.
type Stateful interface{ ImportState() *State }

// Store keeps a service's imports and runs its transactions. Tx is the
// service's transaction; every method given one works within it.
type Store[Tx any, I Stateful] interface {
	// InOrg runs fn in one transaction confined to orgID (row-level
	// security); fn's error rolls it back.
	InOrg(ctx context.Context, orgID string, fn func(Tx) error) error
	// Lock reads the import and locks it until tx ends: whoever writes a
	// batch of it holds the lock, so two runs never both advance it.
	Lock(ctx context.Context, tx Tx, id string) (I, error)
	// Save stores the import's State (and the service's own fields).
	Save(ctx context.Context, tx Tx, imp I) error
	// MarkFileDeleted records the file's deletion at at, unless one is
	// recorded already.
	MarkFileDeleted(ctx context.Context, tx Tx, id string, at time.Time) error
	// ScheduleFileExpiry enqueues, in tx, the job that deletes the import's
	// file at at (it calls Runner.ExpireFile with at).
	ScheduleFileExpiry(ctx context.Context, tx Tx, imp I, at time.Time) error
}

// Importer is a service's kind of import.
type Importer[Tx any, I Stateful, R any] interface {
	Store[Tx, I]
	// Begin starts a run over imp's file, whose header rd has read: it
	// reads what planning every row needs (lookups) and returns the run's
	// planner and writer.
	Begin(ctx context.Context, imp I, rd *Reader) (Batches[Tx, I, R], error)
	// Progressed publishes, in tx, what the service announces of a batch
	// committed (imp as the batch leaves it).
	Progressed(ctx context.Context, tx Tx, imp I) error
	// Ended publishes, in tx, the import's end, how it ended: its
	// completion once, each failure (a retry or replay that fails it again
	// included).
	Ended(ctx context.Context, tx Tx, imp I, how End) error
	// Progress is what the jobs API shows of a job's import.
	Progress(imp I) any
}

// End is how an import ended.
type End int

const (
	// Completed: every record of the file was read and its outcome
	// committed.
	Completed End = iota
	// FailedForGood: the file cannot be read on (a line over
	// MaxLineBytes), or it is gone; what was committed before stays, and
	// the job completes (no retry could help).
	FailedForGood
	// GaveUp: a job's last attempt, or an inline run, stopped on an error;
	// retrying or replaying the job resumes the import at its checkpoint.
	GaveUp
)

// Batches plan and write the rows of one run.
type Batches[Tx any, I Stateful, R any] interface {
	// Plan turns one record into a row, or returns why it is rejected
	// (each error naming the file's column: Reader.Column). It runs in the
	// reader's goroutine, ahead of Write.
	Plan(rec *Row) (R, []RowError)
	// Write writes one batch of planned rows in tx, the transaction that
	// also commits the import's checkpoint; imp is the import as it stands
	// (locked), to which Write may add the service's own counts. An error
	// wrapping ErrContention has the batch written again in a new
	// transaction.
	Write(ctx context.Context, tx Tx, imp I, rows []R) (Written, error)
}

// Written is a batch's outcome.
type Written struct {
	// Accepted counts the rows written.
	Accepted int
	// Skipped are the rows not written because what they describe is there
	// already (a duplicate), each with why; they are listed in the report.
	Skipped []RowError
}

// ErrContention is what Batches.Write wraps when the batch lost a race
// with a concurrent writer (a deadlock, a row inserted meanwhile): the
// transaction is lost and the batch is planned and written again, up to
// three times in all.
var ErrContention = errors.New("csvimport: the batch lost a race with a concurrent writer")

const writeAttempts = 3

// Job is a running job whose completion, and whose claim of a keyed
// effect, commit in the service's transactions (pkg/jobs).
type Job[Tx any] interface {
	// ClaimEffect records in tx that the effect key happens; false: it
	// happened already (an earlier attempt, or the job this one replays).
	ClaimEffect(ctx context.Context, tx Tx, key string) (bool, error)
	// Complete marks the job completed in tx.
	Complete(ctx context.Context, tx Tx) error
}

// Step is one attempt of a step of an import job.
type Step[Tx any] interface {
	Job[Tx]
	JobID() int64
	// LastAttempt reports whether a failure of this attempt dead-letters
	// the job.
	LastAttempt() bool
	// StepOver reports whether the attempt has worked its step's share
	// (jobs.StepOver).
	StepOver(ctx context.Context) bool
	// Continue enqueues the job's next step in tx and completes this one
	// (jobs.Continue), so the next step exists exactly when tx's
	// checkpoint does; it returns the next step's id.
	Continue(ctx context.Context, tx Tx) (int64, error)
	// SetProgress records the job's progress where the jobs API shows it,
	// at once (outside any transaction).
	SetProgress(ctx context.Context, progress any) error
}

// Config configures a Runner. Zero BatchRows is DefaultBatchRows; zero
// StepBatches bounds a step by its time only; zero FileRetention keeps
// files forever.
type Config struct {
	// Name names the import's kind (the job's kind, "crm.lead_import"):
	// the key of its completion effect and the logs.
	Name string
	// FileExpireKind is the kind of the file deletion job, the key of its
	// effect.
	FileExpireKind string
	// Fields are the import's fields; CheckHeader, when set, refuses a
	// header that can feed no row beyond what Fields' Required says
	// (has reports whether field i has a column).
	Fields []Field
	// Recognise is the import's recognition table (Options.Recognise).
	Recognise   *Recognition
	CheckHeader func(has func(i int) bool) error
	// Again says what importing the same file again does to the rows
	// already imported ("rows already imported merge"), in failures that
	// suggest it.
	Again string
	// BatchRows records are read per batch, and StepBatches batches per
	// job step at most.
	BatchRows   int
	StepBatches int
	// FileRetention is how long an ended import's file is kept.
	FileRetention time.Duration
	Files         storage.Store
	Now           func() time.Time
	Logger        *slog.Logger
}

// DefaultBatchRows is Config.BatchRows' default.
const DefaultBatchRows = 5000

// Runner works the imports of one kind.
type Runner[Tx any, I Stateful, R any] struct {
	cfg Config
	imp Importer[Tx, I, R]
}

// NewRunner returns the runner of imp's imports.
func NewRunner[Tx any, I Stateful, R any](imp Importer[Tx, I, R], cfg Config) (*Runner[Tx, I, R], error) {
	if any(imp) == nil || cfg.Files == nil || cfg.Now == nil || cfg.Logger == nil || cfg.Name == "" || cfg.FileExpireKind == "" || len(cfg.Fields) == 0 {
		return nil, errors.New("csvimport: NewRunner: importer, Files, Now, Logger, Name, FileExpireKind and Fields are required")
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = DefaultBatchRows
	}
	cfg.StepBatches = max(cfg.StepBatches, 0)
	cfg.FileRetention = max(cfg.FileRetention, 0)
	return &Runner[Tx, I, R]{cfg: cfg, imp: imp}, nil
}

// CheckFile reads the header of the file stored under key: a file that
// cannot be imported at all (not CSV text, a mapping that does not fit its
// header, no column for a required field) is an apperr to answer while the
// client still waits.
func (r *Runner[Tx, I, R]) CheckFile(ctx context.Context, key string, mapping map[string]string) error {
	rc, _, err := r.cfg.Files.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = r.open(rc, &State{Mapping: mapping}, &Report{})
	return err
}

func (r *Runner[Tx, I, R]) open(rc io.Reader, st *State, rep *Report) (*Reader, error) {
	opts := Options{Fields: r.cfg.Fields, Mapping: st.Mapping, Recognise: r.cfg.Recognise, ResumeAfterLine: st.Checkpoint.Line}
	if st.Checkpoint.Offset > 0 {
		// Seek past what earlier batches wrote instead of parsing it again.
		opts.Resume = st.Checkpoint
	}
	rd, err := NewReader(rc, opts, rep)
	if err != nil {
		return nil, err
	}
	if r.cfg.CheckHeader != nil {
		if err := r.cfg.CheckHeader(rd.HasColumn); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// Run works import id of orgID from its checkpoint: with step nil, inline
// (within the request that stored it, to its end), else one step of its
// job, which either ends the import or hands over to the next step. It
// returns the import as its last committed write left it. An import that
// has completed already (a replayed job) only completes the job.
//
// A file that cannot be read on (a line over MaxLineBytes), or is gone,
// fails the import for good: the job completes, no retry could help.
// Other errors are returned for the job to retry, resuming at the
// checkpoint; the last attempt's, and an inline run's, also fail the
// import, saying how to resume it.
func (r *Runner[Tx, I, R]) Run(ctx context.Context, orgID, id string, step Step[Tx]) (I, error) {
	var imp I
	done := false
	err := r.imp.InOrg(ctx, orgID, func(tx Tx) (err error) {
		if imp, err = r.imp.Lock(ctx, tx, id); err != nil {
			return err
		}
		st := imp.ImportState()
		if st.Status == StatusCompleted {
			done = true
			if step != nil {
				return step.Complete(ctx, tx)
			}
			return nil
		}
		if step != nil {
			jobID := step.JobID()
			st.JobID = &jobID
		}
		if st.FileDeletedAt != nil {
			// Failed for good below: no run can read the file, and an
			// import without one never runs again.
			return r.imp.Save(ctx, tx, imp)
		}
		now := r.cfg.Now()
		// Running again, the import keeps its file: the deletion its end
		// scheduled finds it resumed (State.FileDue), and its next end
		// schedules another.
		st.Status, st.Failure, st.FinishedAt, st.FileExpiresAt, st.UpdatedAt = StatusRunning, nil, nil, nil, now
		if st.StartedAt == nil {
			st.StartedAt = &now
		}
		return r.imp.Save(ctx, tx, imp)
	})
	if err != nil || done {
		return imp, err
	}
	ru := &run[Tx, I, R]{Runner: r, org: orgID, id: id, step: step, last: imp}
	err = ru.importFile(ctx)
	if err == nil {
		return ru.last, nil
	}
	st := ru.last.ImportState()
	var reason string
	switch {
	case errors.Is(err, errMoved) || ctx.Err() != nil:
		return ru.last, err // another run has it, or this one was stopped: nothing to record
	case step == nil:
		reason = fmt.Sprintf("the import stopped on an internal error after line %d; upload the file again to import the rest (%s)",
			st.Checkpoint.Line, r.cfg.Again)
	case step.LastAttempt():
		reason = fmt.Sprintf("the import stopped after line %d, its job's attempts spent; retrying its job resumes it (replay job %d once it is discarded)",
			st.Checkpoint.Line, step.JobID())
	default:
		return ru.last, err // retried: the next attempt resumes at the checkpoint
	}
	if ferr := ru.fail(ctx, reason); ferr != nil {
		return ru.last, errors.Join(err, ferr)
	}
	return ru.last, err
}

// errMoved: another run of the same import committed a batch since this
// one read the checkpoint; this run stops (its job retries and finds the
// import further on, or ended).
var errMoved = errors.New("csvimport: the import was moved on by another run")

// run is one run over an import's file.
type run[Tx any, I Stateful, R any] struct {
	*Runner[Tx, I, R]
	org, id string
	step    Step[Tx] // nil inline
	last    I        // as last committed
}

// batch is what the reader hands the writer: the planned rows of up to
// BatchRows records, the report of those records (reads and rejections)
// and the position after them. last ends the file, stepEnd the job's step;
// failure, when set, ends the import failed after the batch (the rest of
// the file cannot be read).
type batch[R any] struct {
	rows    []R
	report  Report
	ignored []string
	columns []ColumnMapping
	pos     Position
	last    bool
	stepEnd bool
	failure string
}

func (ru *run[Tx, I, R]) importFile(ctx context.Context) error {
	st := ru.last.ImportState()
	if st.FileDeletedAt != nil {
		return ru.write(ctx, batch[R]{pos: st.Checkpoint, last: true, failure: fmt.Sprintf(
			"the import's file was deleted at %s, when its retention (IMPORT_FILE_RETENTION) after the import ended ran out; upload the file again to import the rest (%s)",
			st.FileDeletedAt.UTC().Format(time.RFC3339), ru.cfg.Again)})
	}
	rc, _, err := ru.cfg.Files.Open(ctx, st.FileKey)
	if errors.Is(err, storage.ErrNotFound) {
		return ru.write(ctx, batch[R]{pos: st.Checkpoint, last: true, failure: fmt.Sprintf(
			"the import's file is no longer stored; upload the file again to import the rest (%s)", ru.cfg.Again)})
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	// The reader counts into part; each batch takes it and starts afresh,
	// so the writer merges the records' outcomes in line order.
	var part Report
	rd, err := ru.open(rc, st, &part)
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindInvalid {
		return ru.write(ctx, batch[R]{pos: st.Checkpoint, last: true, failure: problemText(e)})
	}
	if err != nil {
		return err
	}
	plan, err := ru.imp.Begin(ctx, ru.last, rd)
	if err != nil {
		return err
	}
	rctx, stop := context.WithCancel(ctx)
	batches := make(chan batch[R], 1)
	read := make(chan error, 1)
	go func() {
		defer close(batches)
		read <- ru.read(rctx, rd, &part, plan, batches)
	}()
	defer func() {
		stop()
		for range batches { //nolint:revive // waits for the reader to let go of the file
		}
	}()
	for b := range batches {
		if err := ru.writeBatch(ctx, plan, b); err != nil {
			return err
		}
		if b.last || b.stepEnd {
			return nil
		}
	}
	if err := <-read; err != nil {
		return err
	}
	return ctx.Err()
}

// read reads the file into batches, from the checkpoint, until its end,
// a failure or — in a job — the end of the step: the batch that ends the
// step is the last one sent.
func (ru *run[Tx, I, R]) read(ctx context.Context, rd *Reader, part *Report, plan Batches[Tx, I, R], out chan<- batch[R]) error {
	b := batch[R]{ignored: part.IgnoredColumns, columns: part.Columns}
	part.IgnoredColumns, part.Columns = nil, nil
	sent := 0
	send := func() bool {
		b.report, b.pos = *part, rd.Position()
		select {
		case out <- b:
		case <-ctx.Done():
			return false
		}
		sent++
		*part, b = Report{}, batch[R]{}
		return true
	}
	for {
		rec, err := rd.Next()
		switch {
		case errors.Is(err, io.EOF):
			b.last = true
			send()
			return nil
		case err != nil:
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.KindInvalid {
				return err
			}
			// The rest of the file cannot be read; what came before is kept.
			b.last, b.failure = true, problemText(e)
			send()
			return nil
		}
		row, errs := plan.Plan(rec)
		if len(errs) > 0 {
			part.RejectRecord(errs...)
		} else {
			b.rows = append(b.rows, row)
		}
		if part.Rows >= ru.cfg.BatchRows {
			b.stepEnd = ru.stepOver(ctx, sent+1)
			if end := b.stepEnd; !send() || end {
				return nil
			}
		}
	}
}

// stepOver reports whether a job's step that has filled its batches-th
// batch should end with it: its time is up, or it has written StepBatches.
// An inline run has no steps.
func (ru *run[Tx, I, R]) stepOver(ctx context.Context, batches int) bool {
	if ru.step == nil {
		return false
	}
	return (ru.cfg.StepBatches > 0 && batches >= ru.cfg.StepBatches) || ru.step.StepOver(ctx)
}

// writeBatch writes b, again in a new transaction when it lost a race.
func (ru *run[Tx, I, R]) writeBatch(ctx context.Context, plan Batches[Tx, I, R], b batch[R]) error {
	var err error
	for range writeAttempts {
		if err = ru.commit(ctx, plan, b); !errors.Is(err, ErrContention) {
			break
		}
	}
	return err
}

// write commits a batch with no rows to write (an import that cannot read
// on).
func (ru *run[Tx, I, R]) write(ctx context.Context, b batch[R]) error {
	return ru.writeBatch(ctx, nil, b)
}

// commit writes b in one transaction: its rows, the import's new report
// and checkpoint, and — with the last batch — the import's end (and the
// job's), or — with the step's last — the hand-over to the next step.
func (ru *run[Tx, I, R]) commit(ctx context.Context, plan Batches[Tx, I, R], b batch[R]) error {
	var next I
	err := ru.imp.InOrg(ctx, ru.org, func(tx Tx) (err error) {
		if next, err = ru.imp.Lock(ctx, tx, ru.id); err != nil {
			return err
		}
		st, was := next.ImportState(), ru.last.ImportState()
		if st.Checkpoint != was.Checkpoint || st.Status != was.Status {
			return errMoved
		}
		var w Written
		if len(b.rows) > 0 {
			if w, err = plan.Write(ctx, tx, next, b.rows); err != nil {
				return err
			}
		}
		merge(&st.Report, b, w)
		now := ru.cfg.Now()
		st.Checkpoint, st.UpdatedAt = b.pos, now
		if b.last {
			if err := ru.end(ctx, tx, next, b.failure, now); err != nil {
				return err
			}
		}
		ru.setProgress(ctx, next)
		if b.stepEnd {
			jobID, err := ru.step.Continue(ctx, tx)
			if err != nil {
				return err
			}
			st.JobID = &jobID
		}
		if err := ru.imp.Save(ctx, tx, next); err != nil {
			return err
		}
		// The last batch of a file read to its end in a batch of its own
		// holds nothing new: no progress to announce.
		if b.report.Rows > 0 {
			if err := ru.imp.Progressed(ctx, tx, next); err != nil {
				return err
			}
		}
		if b.last {
			return ru.ended(ctx, tx, next)
		}
		return nil
	})
	if err == nil {
		ru.last = next
	}
	return err
}

// setProgress records a job's progress as the batch leaves the import. It
// is written at once, before the batch's transaction touches the job's row
// (Continue, Complete) and commits: whoever sees the job completed sees its
// final progress. A batch that then rolls back leaves its progress ahead of
// the checkpoint until the retry writes it again; a lost update is not
// worth failing for.
func (ru *run[Tx, I, R]) setProgress(ctx context.Context, imp I) {
	if ru.step == nil {
		return
	}
	if err := ru.step.SetProgress(ctx, ru.imp.Progress(imp)); err != nil {
		ru.cfg.Logger.WarnContext(ctx, "import progress not recorded", "kind", ru.cfg.Name, "import_id", ru.id, "error", err)
	}
}

// end ends the import in tx: completed, or failed with failure; its file's
// deletion is scheduled.
func (ru *run[Tx, I, R]) end(ctx context.Context, tx Tx, imp I, failure string, now time.Time) error {
	st := imp.ImportState()
	st.Status, st.FinishedAt = StatusCompleted, &now
	if failure != "" {
		st.Status, st.Failure = StatusFailed, &failure
	}
	return ru.scheduleFileExpiry(ctx, tx, imp, now)
}

// ended announces the import's end and, in a job, completes it. The
// completion is announced once (a keyed effect of the job: a replay of the
// job that completed the import announces nothing); each failure is
// announced, as each run that fails it tried again.
func (ru *run[Tx, I, R]) ended(ctx context.Context, tx Tx, imp I) error {
	fresh := true
	if ru.step != nil && imp.ImportState().Status == StatusCompleted {
		var err error
		if fresh, err = ru.step.ClaimEffect(ctx, tx, ru.cfg.Name+".completed:"+ru.id); err != nil {
			return err
		}
	}
	how := Completed
	if imp.ImportState().Status == StatusFailed {
		how = FailedForGood
	}
	if fresh {
		if err := ru.imp.Ended(ctx, tx, imp, how); err != nil {
			return err
		}
	}
	if ru.step == nil {
		return nil
	}
	return ru.step.Complete(ctx, tx)
}

// fail records that the run gave up (the job retries no more, or an inline
// run failed): the import is failed with reason, its end announced, its
// file's deletion scheduled — a retry or replay may still resume a
// dead-lettered import, but only within the retention, which therefore
// runs from here too. The job itself fails with the run's error.
func (ru *run[Tx, I, R]) fail(ctx context.Context, reason string) error {
	ctx = context.WithoutCancel(ctx)
	var next I
	err := ru.imp.InOrg(ctx, ru.org, func(tx Tx) (err error) {
		if next, err = ru.imp.Lock(ctx, tx, ru.id); err != nil {
			return err
		}
		st := next.ImportState()
		if st.Ended() {
			return nil // ended by another run meanwhile
		}
		now := ru.cfg.Now()
		st.Status, st.Failure, st.FinishedAt, st.UpdatedAt = StatusFailed, &reason, &now, now
		if err := ru.scheduleFileExpiry(ctx, tx, next, now); err != nil {
			return err
		}
		if err := ru.imp.Save(ctx, tx, next); err != nil {
			return err
		}
		return ru.imp.Ended(ctx, tx, next, GaveUp)
	})
	if err == nil {
		ru.last = next
	}
	return err
}

// scheduleFileExpiry schedules the deletion of imp's file, the retention
// after now, in tx: the transaction that ends the import, so an ended
// import always has its deletion scheduled and a rolled-back end none.
// Without a retention files are kept forever; a file already deleted
// needs no deletion.
func (r *Runner[Tx, I, R]) scheduleFileExpiry(ctx context.Context, tx Tx, imp I, now time.Time) error {
	st := imp.ImportState()
	if r.cfg.FileRetention <= 0 || st.FileDeletedAt != nil {
		return nil
	}
	at := now.Add(r.cfg.FileRetention)
	if err := r.imp.ScheduleFileExpiry(ctx, tx, imp, at); err != nil {
		return err
	}
	st.FileExpiresAt = &at
	return nil
}

// ExpireFile works the file deletion job that import id's end scheduled
// for expiresAt. The row is marked first and committed, then the file is
// deleted, then the job completes with its effect claimed:
//   - a row saying "deleted" while the file is still there is harmless:
//     the job has not completed, so its next attempt (after a failed
//     delete or a crash) deletes it — Delete is idempotent. The reverse, a
//     file gone while the row still offers it, would make a resumed import
//     fail on a missing file instead of saying why;
//   - nothing can read the file after the mark: only a resumed import
//     reads an ended import's file, and it fails at once, for good, on a
//     row that says the file is gone;
//   - the effect key and the completion commit together, so a retried or
//     replayed job records nothing twice (the mark keeps its first time;
//     the delete finds nothing).
//
// A deletion the import has outlived (resumed since, or not ended) only
// completes the job.
func (r *Runner[Tx, I, R]) ExpireFile(ctx context.Context, orgID, id string, expiresAt time.Time, job Job[Tx]) error {
	if job == nil {
		return errors.New("csvimport: ExpireFile: nil job")
	}
	var key string
	err := r.imp.InOrg(ctx, orgID, func(tx Tx) error {
		imp, err := r.imp.Lock(ctx, tx, id)
		if err != nil {
			return err
		}
		st := imp.ImportState()
		if !st.FileDue(expiresAt) {
			return job.Complete(ctx, tx)
		}
		key = st.FileKey
		return r.imp.MarkFileDeleted(ctx, tx, id, r.cfg.Now())
	})
	if err != nil || key == "" {
		return err
	}
	if err := r.cfg.Files.Delete(ctx, key); err != nil {
		return fmt.Errorf("csvimport: delete the file of import %s: %w", id, err)
	}
	return r.imp.InOrg(ctx, orgID, func(tx Tx) error {
		fresh, err := job.ClaimEffect(ctx, tx, r.cfg.FileExpireKind+":"+id)
		if err != nil {
			return err
		}
		if fresh {
			r.cfg.Logger.InfoContext(ctx, "import file deleted after its retention", "kind", r.cfg.Name, "org_id", orgID, "import_id", id)
		}
		return job.Complete(ctx, tx)
	})
}

// merge adds b's outcome to rep: the reader's counts and rejections and
// the writer's accepted and skipped rows, keeping the row errors in line
// order and within MaxReportedErrors.
func merge[R any](rep *Report, b batch[R], w Written) {
	if len(rep.IgnoredColumns) == 0 && len(b.ignored) > 0 {
		rep.IgnoredColumns = b.ignored
	}
	if len(rep.Columns) == 0 && len(b.columns) > 0 {
		rep.Columns = b.columns
	}
	errs := b.report.Errors
	if len(w.Skipped) > 0 {
		errs = append(slices.Clip(errs), w.Skipped...)
		slices.SortStableFunc(errs, func(a, b RowError) int { return cmp.Compare(a.Line, b.Line) })
	}
	rep.Rows += b.report.Rows
	rep.Rejected += b.report.Rejected
	rep.Skipped += b.report.Skipped + len(w.Skipped)
	rep.Accepted += w.Accepted
	if rep.Errors == nil {
		rep.Errors = []RowError{}
	}
	// Both lists hold their first errors in line order, so the report's
	// first MaxReportedErrors are exactly these.
	room := MaxReportedErrors - len(rep.Errors)
	if len(errs) > room || b.report.ErrorsTruncated {
		rep.ErrorsTruncated = true
	}
	rep.Errors = append(rep.Errors, errs[:min(len(errs), max(room, 0))]...)
}

// problemText is an apperr's field errors as one sentence ("file: …").
func problemText(e *apperr.Error) string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}
