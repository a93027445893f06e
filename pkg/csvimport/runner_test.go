package csvimport_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/storage"
)

// The runner's tests work a fake service: an in-memory store whose
// transactions commit or roll back as a database's would, a fake job step,
// and a real disk file store (which seeks, as the services' stores do).

type fakeImport struct {
	csvimport.State
	// Batches is the service's own count, kept by Write.
	Batches int
}

type planned struct {
	Line int
	Name string
}

type fakeTx struct {
	imp      *fakeImport
	saved    *fakeImport
	rows     []planned
	onCommit []func()
}

type fakeService struct {
	t     *testing.T
	files storage.Store
	mu    sync.Mutex
	imps  map[string]fakeImport
	rows  []planned // committed
	// events are the announcements committed: "progress:<rows>",
	// "ended:<status>:<how>".
	events   []string
	expiries []time.Time
	deleted  []time.Time
	// writes counts Write calls; failWrite, when it returns an error for
	// the n-th call (from 1), fails it.
	writes    int
	failWrite func(n int) error
}

func (f *fakeService) InOrg(_ context.Context, orgID string, fn func(*fakeTx) error) error {
	if orgID != testOrg {
		f.t.Errorf("transaction in org %q", orgID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := &fakeTx{}
	if err := fn(tx); err != nil {
		return err
	}
	if tx.saved != nil {
		f.imps[tx.saved.ID] = *tx.saved
	}
	f.rows = append(f.rows, tx.rows...)
	for _, c := range tx.onCommit {
		c()
	}
	return nil
}

func (f *fakeService) Lock(_ context.Context, tx *fakeTx, id string) (*fakeImport, error) {
	imp, ok := f.imps[id]
	if !ok {
		return nil, errors.New("no such import")
	}
	imp.Report.Errors = slices.Clone(imp.Report.Errors)
	tx.imp = &imp
	return &imp, nil
}

func (f *fakeService) Save(_ context.Context, tx *fakeTx, imp *fakeImport) error {
	c := *imp
	tx.saved = &c
	return nil
}

func (f *fakeService) MarkFileDeleted(_ context.Context, tx *fakeTx, id string, at time.Time) error {
	tx.onCommit = append(tx.onCommit, func() {
		imp := f.imps[id]
		if imp.FileDeletedAt == nil {
			imp.FileDeletedAt = &at
			f.imps[id] = imp
		}
		f.deleted = append(f.deleted, at)
	})
	return nil
}

func (f *fakeService) ScheduleFileExpiry(_ context.Context, tx *fakeTx, _ *fakeImport, at time.Time) error {
	tx.onCommit = append(tx.onCommit, func() { f.expiries = append(f.expiries, at) })
	return nil
}

func (f *fakeService) Begin(_ context.Context, _ *fakeImport, rd *csvimport.Reader) (csvimport.Batches[*fakeTx, *fakeImport, planned], error) {
	return &fakeBatches{f: f, rd: rd}, nil
}

func (f *fakeService) Progressed(_ context.Context, tx *fakeTx, imp *fakeImport) error {
	rows := imp.Report.Rows
	tx.onCommit = append(tx.onCommit, func() { f.events = append(f.events, fmt.Sprintf("progress:%d", rows)) })
	return nil
}

func (f *fakeService) Ended(_ context.Context, tx *fakeTx, imp *fakeImport, how csvimport.End) error {
	ev := fmt.Sprintf("ended:%s:%d", imp.Status, how)
	tx.onCommit = append(tx.onCommit, func() { f.events = append(f.events, ev) })
	return nil
}

func (f *fakeService) Progress(imp *fakeImport) any { return imp.Report.Rows }

type fakeBatches struct {
	f  *fakeService
	rd *csvimport.Reader
}

// Plan rejects the name "bad".
func (b *fakeBatches) Plan(rec *csvimport.Row) (planned, []csvimport.RowError) {
	if rec.Values[0] == "bad" {
		return planned{}, []csvimport.RowError{{Line: rec.Line, Column: b.rd.Column(0), Reason: "is bad"}}
	}
	return planned{Line: rec.Line, Name: rec.Values[0]}, nil
}

// Write skips the names that start with "dup".
func (b *fakeBatches) Write(_ context.Context, tx *fakeTx, imp *fakeImport, rows []planned) (csvimport.Written, error) {
	b.f.writes++
	if b.f.failWrite != nil {
		if err := b.f.failWrite(b.f.writes); err != nil {
			return csvimport.Written{}, err
		}
	}
	var w csvimport.Written
	for _, r := range rows {
		if strings.HasPrefix(r.Name, "dup") {
			w.Skipped = append(w.Skipped, csvimport.RowError{Line: r.Line, Column: "name", Reason: "is there already"})
			continue
		}
		tx.rows = append(tx.rows, r)
		w.Accepted++
	}
	imp.Batches++
	return w, nil
}

// fakeStep is a job step attempt; its effects take hold when the
// transaction they were made in commits.
type fakeStep struct {
	id          int64
	last        bool
	over        bool // StepOver's answer
	completed   bool
	continuedTo int64
	effects     map[string]int64 // shared between the steps of one test
	progress    []any
}

func (s *fakeStep) JobID() int64                  { return s.id }
func (s *fakeStep) LastAttempt() bool             { return s.last }
func (s *fakeStep) StepOver(context.Context) bool { return s.over }
func (s *fakeStep) SetProgress(_ context.Context, p any) error {
	s.progress = append(s.progress, p)
	return nil
}
func (s *fakeStep) Complete(_ context.Context, tx *fakeTx) error {
	tx.onCommit = append(tx.onCommit, func() { s.completed = true })
	return nil
}
func (s *fakeStep) Continue(_ context.Context, tx *fakeTx) (int64, error) {
	next := s.id + 1
	tx.onCommit = append(tx.onCommit, func() { s.continuedTo, s.completed = next, true })
	return next, nil
}
func (s *fakeStep) ClaimEffect(_ context.Context, tx *fakeTx, key string) (bool, error) {
	if _, ok := s.effects[key]; ok {
		return false, nil
	}
	tx.onCommit = append(tx.onCommit, func() { s.effects[key] = s.id })
	return true, nil
}

const (
	testOrg = "org-1"
	testID  = "imp-1"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	*fakeService
	runner *csvimport.Runner[*fakeTx, *fakeImport, planned]
	file   []byte
}

// newFixture stores file as import testID (running, nothing read yet)
// with a runner of batchRows records per batch.
func newFixture(t *testing.T, file string, cfg csvimport.Config) *fixture {
	t.Helper()
	disk, err := storage.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := disk.Put(t.Context(), "org-1/imp-1.csv", strings.NewReader(file), storage.ObjectMeta{ContentType: "text/csv"}); err != nil {
		t.Fatal(err)
	}
	f := &fakeService{t: t, files: disk, imps: map[string]fakeImport{testID: {State: csvimport.State{
		ID: testID, OrgID: testOrg, Status: csvimport.StatusRunning, FileKey: "org-1/imp-1.csv", FileSize: int64(len(file)),
		Report: csvimport.NewReport(),
	}}}}
	cfg.Name, cfg.FileExpireKind, cfg.Again = "test.import", "test.import_file_expire", "rows already imported are skipped"
	cfg.Fields = []csvimport.Field{{Name: "name", Required: true}}
	cfg.Files, cfg.Now, cfg.Logger = disk, func() time.Time { return t0 }, slog.New(slog.DiscardHandler)
	r, err := csvimport.NewRunner[*fakeTx, *fakeImport, planned](f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{fakeService: f, runner: r, file: []byte(file)}
}

func (f *fixture) imp() fakeImport {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.imps[testID]
}

// namesFile is a header and n records name<i>, those at the given lines
// (the header is line 1) named instead.
func namesFile(n int, named map[int]string) string {
	var b strings.Builder
	b.WriteString("name\n")
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("name%d", i)
		if s, ok := named[i+1]; ok {
			name = s
		}
		b.WriteString(name + "\n")
	}
	return b.String()
}

// lines are the file lines of rows.
func lines(rows []planned) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.Line
	}
	return out
}

// span is the lines from..to.
func span(from, to int, except ...int) []int {
	var out []int
	for l := from; l <= to; l++ {
		if !slices.Contains(except, l) {
			out = append(out, l)
		}
	}
	return out
}

func TestInlineRunImportsEveryRowOnceAndReportsEachBadOne(t *testing.T) {
	t.Parallel()
	f := newFixture(t, namesFile(25, map[int]string{3: "bad", 9: "dup-a", 17: "bad", 26: "bad"}), csvimport.Config{BatchRows: 10})
	got, err := f.runner.Run(t.Context(), testOrg, testID, nil)
	if err != nil {
		t.Fatal(err)
	}
	imp := f.imp()
	if got.ID != testID || got.Status != imp.Status {
		t.Fatalf("Run returned %+v, stored %+v", got.State, imp.State)
	}
	r := imp.Report
	if imp.Status != csvimport.StatusCompleted || r.Rows != 25 || r.Accepted != 21 || r.Rejected != 3 || r.Skipped != 1 ||
		imp.FinishedAt == nil || !imp.FinishedAt.Equal(t0) {
		t.Fatalf("import %+v", imp.State)
	}
	if want := []csvimport.ColumnMapping{{Column: "name", Field: "name", Why: csvimport.WhyField}}; !slices.Equal(r.Columns, want) {
		t.Fatalf("columns %+v, want %+v", r.Columns, want)
	}
	// Rejections and the writer's skip, in line order.
	if want := []int{3, 9, 17, 26}; !slices.Equal(errLines(r.Errors), want) || r.Errors[1].Reason != "is there already" || r.Errors[0].Column != "name" {
		t.Fatalf("errors %+v, want lines %v", r.Errors, want)
	}
	if want := span(2, 26, 3, 9, 17, 26); !slices.Equal(lines(f.rows), want) {
		t.Fatalf("written lines %v, want %v", lines(f.rows), want)
	}
	if imp.Checkpoint.Line != 26 || imp.Checkpoint.Offset != int64(len(f.file)) || imp.Batches != 3 {
		t.Fatalf("checkpoint %+v after %d batches", imp.Checkpoint, imp.Batches)
	}
	// One progress per batch of records, then the end; no retention, no expiry.
	if want := []string{"progress:10", "progress:20", "progress:25", "ended:completed:0"}; !slices.Equal(f.events, want) {
		t.Fatalf("events %v, want %v", f.events, want)
	}
	if len(f.expiries) != 0 || imp.FileExpiresAt != nil {
		t.Fatalf("expiries %v without a retention", f.expiries)
	}
}

func errLines(errs []csvimport.RowError) []int {
	out := make([]int, len(errs))
	for i, e := range errs {
		out[i] = e.Line
	}
	return out
}

func TestStepsContinueWhereTheyStopped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, namesFile(25, map[int]string{14: "bad"}), csvimport.Config{BatchRows: 10, StepBatches: 1, FileRetention: time.Hour})
	effects := map[string]int64{}
	var checkpoints []csvimport.Position
	for id := int64(1); ; id++ {
		if id > 5 {
			t.Fatal("the import did not end in 5 steps")
		}
		step := &fakeStep{id: id, effects: effects}
		if _, err := f.runner.Run(t.Context(), testOrg, testID, step); err != nil {
			t.Fatalf("step %d: %v", id, err)
		}
		imp := f.imp()
		if !step.completed || *imp.JobID != id+boolInt(imp.Status == csvimport.StatusRunning) {
			t.Fatalf("step %d: completed %v, import's job %d", id, step.completed, *imp.JobID)
		}
		if len(step.progress) != 1 || step.progress[0] != imp.Report.Rows {
			t.Fatalf("step %d progress %v, report rows %d", id, step.progress, imp.Report.Rows)
		}
		checkpoints = append(checkpoints, imp.Checkpoint)
		if imp.Status != csvimport.StatusRunning {
			break
		}
		if step.continuedTo != id+1 {
			t.Fatalf("step %d handed over to %d", id, step.continuedTo)
		}
	}
	// Each step resumed at the byte where the previous one stopped.
	want := []csvimport.Position{{Line: 11, Offset: offsetOfLine(f.file, 12)}, {Line: 21, Offset: offsetOfLine(f.file, 22)},
		{Line: 26, Offset: int64(len(f.file))}}
	if !slices.Equal(checkpoints, want) {
		t.Fatalf("checkpoints %v, want %v", checkpoints, want)
	}
	imp := f.imp()
	if imp.Status != csvimport.StatusCompleted || imp.Report.Rows != 25 || imp.Report.Accepted != 24 || imp.Report.Rejected != 1 {
		t.Fatalf("import %+v", imp.State)
	}
	if !slices.Equal(lines(f.rows), span(2, 26, 14)) {
		t.Fatalf("written lines %v", lines(f.rows))
	}
	// The end is announced once, as the last step's effect; its file
	// expires after the retention.
	if want := []string{"progress:10", "progress:20", "progress:25", "ended:completed:0"}; !slices.Equal(f.events, want) {
		t.Fatalf("events %v", f.events)
	}
	if effects["test.import.completed:"+testID] != 3 || !slices.Equal(f.expiries, []time.Time{t0.Add(time.Hour)}) ||
		!imp.FileExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("effects %v, expiries %v", effects, f.expiries)
	}

	// A replay of the finished job only completes it.
	replay := &fakeStep{id: 9, effects: effects}
	if _, err := f.runner.Run(t.Context(), testOrg, testID, replay); err != nil || !replay.completed {
		t.Fatalf("replay: %v, completed %v", err, replay.completed)
	}
	if len(f.rows) != 24 || len(f.events) != 4 {
		t.Fatalf("the replay wrote %d rows, %d events", len(f.rows), len(f.events))
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// offsetOfLine is the byte where line (from 1) begins.
func offsetOfLine(file []byte, line int) int64 {
	off := 0
	for l := 1; l < line; l++ {
		off += strings.IndexByte(string(file[off:]), '\n') + 1
	}
	return int64(off)
}

func TestRunResumesAtItsCheckpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		offset bool
	}{{"by byte offset", true}, {"by line (checkpointed before offsets were kept)", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, namesFile(30, map[int]string{5: "bad", 20: "bad"}), csvimport.Config{BatchRows: 8})
			// As a run that committed lines 2..13 left it: one rejection.
			imp := f.imps[testID]
			imp.Checkpoint = csvimport.Position{Line: 13}
			if tc.offset {
				imp.Checkpoint.Offset = offsetOfLine(f.file, 14)
			}
			imp.Report.Rows, imp.Report.Accepted, imp.Report.Rejected = 12, 11, 1
			imp.Report.Errors = []csvimport.RowError{{Line: 5, Column: "name", Reason: "is bad"}}
			imp.Report.IgnoredColumns = []string{}
			f.imps[testID] = imp

			if _, err := f.runner.Run(t.Context(), testOrg, testID, &fakeStep{id: 1, effects: map[string]int64{}}); err != nil {
				t.Fatal(err)
			}
			got := f.imp()
			if !slices.Equal(lines(f.rows), span(14, 31, 20)) {
				t.Fatalf("written lines %v, want 14..31 but 20", lines(f.rows))
			}
			r := got.Report
			if got.Status != csvimport.StatusCompleted || r.Rows != 30 || r.Accepted != 28 || r.Rejected != 2 ||
				!slices.Equal(errLines(r.Errors), []int{5, 20}) {
				t.Fatalf("import %+v", got.State)
			}
		})
	}
}

func TestAFailingWriteFailsTheImportWithItsReason(t *testing.T) {
	t.Parallel()
	boom := errors.New("simulated outage")
	t.Run("a job retries, then gives up on its last attempt", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, namesFile(25, nil), csvimport.Config{BatchRows: 10, FileRetention: time.Minute})
		f.failWrite = func(n int) error {
			if n >= 2 {
				return boom
			}
			return nil
		}
		effects := map[string]int64{}
		_, err := f.runner.Run(t.Context(), testOrg, testID, &fakeStep{id: 1, effects: effects})
		if !errors.Is(err, boom) {
			t.Fatalf("first attempt: %v", err)
		}
		if imp := f.imp(); imp.Status != csvimport.StatusRunning || imp.Checkpoint.Line != 11 || imp.Failure != nil || len(f.expiries) != 0 {
			t.Fatalf("after a retryable failure: %+v", imp.State)
		}
		last := &fakeStep{id: 1, last: true, effects: effects}
		if _, err := f.runner.Run(t.Context(), testOrg, testID, last); !errors.Is(err, boom) {
			t.Fatalf("last attempt: %v", err)
		}
		imp := f.imp()
		if imp.Status != csvimport.StatusFailed || imp.Failure == nil || last.completed ||
			!strings.Contains(*imp.Failure, "stopped after line 11") || !strings.Contains(*imp.Failure, "retrying its job resumes it") {
			t.Fatalf("after the last attempt: %+v (failure %v)", imp.State, deref(imp.Failure))
		}
		if imp.Report.Rows != 10 || imp.Report.Accepted != 10 || len(f.rows) != 10 {
			t.Fatalf("report %+v, %d rows written", imp.Report, len(f.rows))
		}
		if !slices.Equal(f.events, []string{"progress:10", fmt.Sprintf("ended:failed:%d", csvimport.GaveUp)}) ||
			!slices.Equal(f.expiries, []time.Time{t0.Add(time.Minute)}) {
			t.Fatalf("events %v, expiries %v", f.events, f.expiries)
		}

		// The cause gone, a retry resumes at the checkpoint.
		f.failWrite = nil
		if _, err := f.runner.Run(t.Context(), testOrg, testID, &fakeStep{id: 1, effects: effects}); err != nil {
			t.Fatal(err)
		}
		if imp := f.imp(); imp.Status != csvimport.StatusCompleted || imp.Failure != nil || imp.Report.Rows != 25 ||
			!slices.Equal(lines(f.rows), span(2, 26)) {
			t.Fatalf("after the retry: %+v, lines %v", imp.State, lines(f.rows))
		}
	})
	t.Run("an inline run fails at once", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, namesFile(25, nil), csvimport.Config{BatchRows: 10})
		f.failWrite = func(n int) error {
			if n == 3 {
				return boom
			}
			return nil
		}
		if _, err := f.runner.Run(t.Context(), testOrg, testID, nil); !errors.Is(err, boom) {
			t.Fatalf("inline run: %v", err)
		}
		imp := f.imp()
		if imp.Status != csvimport.StatusFailed || imp.Failure == nil || !strings.Contains(*imp.Failure, "internal error after line 21") ||
			!strings.Contains(*imp.Failure, "rows already imported are skipped") || imp.Report.Accepted != 20 {
			t.Fatalf("import %+v (failure %v)", imp.State, deref(imp.Failure))
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestContentionWritesTheBatchAgain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		failures int
		ok       bool
	}{{"twice: the third attempt writes it", 2, true}, {"three times: the run fails", 3, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, namesFile(15, nil), csvimport.Config{BatchRows: 10})
			f.failWrite = func(n int) error {
				if n > 1 && n <= 1+tc.failures {
					return fmt.Errorf("deadlock: %w", csvimport.ErrContention)
				}
				return nil
			}
			_, err := f.runner.Run(t.Context(), testOrg, testID, &fakeStep{id: 1, effects: map[string]int64{}})
			if tc.ok != (err == nil) {
				t.Fatalf("Run: %v", err)
			}
			want := span(2, 16)
			if !tc.ok {
				want = span(2, 11)
			}
			if !slices.Equal(lines(f.rows), want) {
				t.Fatalf("written lines %v, want %v", lines(f.rows), want)
			}
		})
	}
}

func TestAnUnreadableFileFailsTheImportForGood(t *testing.T) {
	t.Parallel()
	long := "x" + strings.Repeat("y", csvimport.MaxLineBytes)
	f := newFixture(t, namesFile(12, map[int]string{8: long}), csvimport.Config{BatchRows: 5, FileRetention: time.Minute})
	step := &fakeStep{id: 1, effects: map[string]int64{}}
	if _, err := f.runner.Run(t.Context(), testOrg, testID, step); err != nil {
		t.Fatalf("Run: %v (a failure for good completes the job)", err)
	}
	imp := f.imp()
	if imp.Status != csvimport.StatusFailed || imp.Failure == nil || !strings.Contains(*imp.Failure, "longer than") || !step.completed {
		t.Fatalf("import %+v (failure %v), job completed %v", imp.State, deref(imp.Failure), step.completed)
	}
	// The rows before the long line are kept and counted.
	if !slices.Equal(lines(f.rows), span(2, 7)) || imp.Report.Rows != 6 || imp.Report.Accepted != 6 {
		t.Fatalf("lines %v, report %+v", lines(f.rows), imp.Report)
	}
	if f.events[len(f.events)-1] != fmt.Sprintf("ended:failed:%d", csvimport.FailedForGood) || len(f.expiries) != 1 {
		t.Fatalf("events %v, expiries %v", f.events, f.expiries)
	}
}

func TestAnImportWhoseFileIsGoneFailsForGood(t *testing.T) {
	t.Parallel()
	f := newFixture(t, namesFile(5, nil), csvimport.Config{FileRetention: time.Minute})
	imp := f.imps[testID]
	deleted := t0.Add(-time.Hour)
	imp.Status, imp.FileDeletedAt = csvimport.StatusFailed, &deleted
	f.imps[testID] = imp
	step := &fakeStep{id: 4, effects: map[string]int64{}}
	if _, err := f.runner.Run(t.Context(), testOrg, testID, step); err != nil {
		t.Fatal(err)
	}
	got := f.imp()
	if got.Status != csvimport.StatusFailed || !strings.Contains(deref(got.Failure), "file was deleted at "+deleted.Format(time.RFC3339)) ||
		*got.JobID != 4 || !step.completed || len(f.rows) != 0 {
		t.Fatalf("import %+v (failure %v)", got.State, deref(got.Failure))
	}
	// Nothing left to delete: no second deletion is scheduled.
	if len(f.expiries) != 0 {
		t.Fatalf("expiries %v", f.expiries)
	}
}

func TestTheReportIsBounded(t *testing.T) {
	t.Parallel()
	bad := map[int]string{}
	for l := 2; l <= 1601; l++ {
		if l%4 != 0 {
			bad[l] = "bad"
		}
	}
	f := newFixture(t, namesFile(1600, bad), csvimport.Config{BatchRows: 300})
	if _, err := f.runner.Run(t.Context(), testOrg, testID, nil); err != nil {
		t.Fatal(err)
	}
	r := f.imp().Report
	if r.Rows != 1600 || r.Rejected != len(bad) || r.Accepted != 1600-len(bad) || !r.ErrorsTruncated ||
		len(r.Errors) != csvimport.MaxReportedErrors {
		t.Fatalf("report: %d rows, %d rejected, %d accepted, %d errors listed, truncated %v",
			r.Rows, r.Rejected, r.Accepted, len(r.Errors), r.ErrorsTruncated)
	}
	// The first MaxReportedErrors rejections, in line order.
	var want []int
	for l := 2; len(want) < csvimport.MaxReportedErrors; l++ {
		if bad[l] != "" {
			want = append(want, l)
		}
	}
	if !slices.Equal(errLines(r.Errors), want) {
		t.Fatal("the listed errors are not the first ones in line order")
	}
}

func TestExpireFileDeletesTheFileOfTheEndItWasScheduledFor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, namesFile(3, nil), csvimport.Config{FileRetention: time.Minute})
	if _, err := f.runner.Run(t.Context(), testOrg, testID, nil); err != nil {
		t.Fatal(err)
	}
	due := *f.imp().FileExpiresAt
	effects := map[string]int64{}
	open := func() error {
		rc, _, err := f.files.Open(t.Context(), f.imp().FileKey)
		if err == nil {
			rc.Close()
		}
		return err
	}

	// A deletion the import has outlived (resumed and ended again since)
	// only completes its job.
	stale := &fakeStep{id: 7, effects: effects}
	if err := f.runner.ExpireFile(t.Context(), testOrg, testID, due.Add(-time.Hour), stale); err != nil || !stale.completed {
		t.Fatalf("stale deletion: %v, completed %v", err, stale.completed)
	}
	if err := open(); err != nil || f.imp().FileDeletedAt != nil {
		t.Fatalf("a stale deletion deleted the file: %v", err)
	}

	job := &fakeStep{id: 8, effects: effects}
	if err := f.runner.ExpireFile(t.Context(), testOrg, testID, due, job); err != nil || !job.completed {
		t.Fatalf("deletion: %v, completed %v", err, job.completed)
	}
	if err := open(); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the file is still stored: %v", err)
	}
	if imp := f.imp(); imp.FileDeletedAt == nil || !imp.FileDeletedAt.Equal(t0) || effects["test.import_file_expire:"+testID] != 8 {
		t.Fatalf("import %+v, effects %v", imp.State, effects)
	}

	// A replay records nothing twice.
	replay := &fakeStep{id: 9, effects: effects}
	if err := f.runner.ExpireFile(t.Context(), testOrg, testID, due, replay); err != nil || !replay.completed {
		t.Fatalf("replay: %v", err)
	}
	if effects["test.import_file_expire:"+testID] != 8 || !f.imp().FileDeletedAt.Equal(t0) {
		t.Fatalf("the replay claimed again: %v", effects)
	}
}

func TestCheckFileRefusesAFileThatCannotBeImported(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "title\nx\n", csvimport.Config{})
	err := f.runner.CheckFile(t.Context(), "org-1/imp-1.csv", nil)
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "name" {
		t.Fatalf("a file without the required column: %v", err)
	}
	if err := f.runner.CheckFile(t.Context(), "org-1/imp-1.csv", map[string]string{"title": "name"}); err != nil {
		t.Fatalf("mapped: %v", err)
	}
	if err := f.runner.CheckFile(t.Context(), "org-1/missing.csv", nil); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
}
