package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/storage"
	"reos.dev/services/property/internal/domain"
)

// Defaults of ImportConfig (IMPORT_MAX_BYTES, IMPORT_INLINE_MAX_BYTES,
// IMPORT_BATCH_ROWS) and the binary's IMPORT_FILE_RETENTION.
const (
	DefaultImportMaxBytes       = 2 << 30
	DefaultImportInlineMaxBytes = 1 << 20
	DefaultImportBatchRows      = 5000
	DefaultImportFileRetention  = 30 * 24 * time.Hour
)

// ImportConfig bounds bulk imports. Files up to InlineMaxBytes (about five
// thousand rows) are imported inside the request, in one transaction, and
// answered with the finished report; larger ones up to MaxBytes run as a
// job. BatchRows records are loaded per statement (and, in a job, per
// committed checkpoint). A job works the import in steps (pkg/jobs): each
// loads batches until the queue's step time is up, or StepBatches of them
// when that is set, and hands over to the next. Zero values take the
// defaults (StepBatches: no bound but the time), except FileRetention's:
// how long an ended import's file is kept (imports_retention.go), where
// zero keeps it forever.
type ImportConfig struct {
	MaxBytes       int64
	InlineMaxBytes int64
	BatchRows      int
	StepBatches    int
	FileRetention  time.Duration
}

func (c ImportConfig) withDefaults() ImportConfig {
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultImportMaxBytes
	}
	if c.InlineMaxBytes <= 0 {
		c.InlineMaxBytes = DefaultImportInlineMaxBytes
	}
	if c.BatchRows <= 0 {
		c.BatchRows = DefaultImportBatchRows
	}
	c.StepBatches = max(c.StepBatches, 0)
	c.FileRetention = max(c.FileRetention, 0)
	return c
}

// ImportJobKind is the River kind of the import job.
const ImportJobKind = "property.import"

// ImportJob is the import job's arguments. Imports are long bulk writes
// nobody waits on interactively, so they run on the low-priority queue
// and never hold up valuations.
type ImportJob struct {
	OrgID    uuid.UUID `json:"org_id"`
	ImportID string    `json:"import_id"`
}

// Kind is the job's kind.
func (ImportJob) Kind() string { return ImportJobKind }

// Org is the organisation the job works for.
func (j ImportJob) Org() uuid.UUID { return j.OrgID }

// Queue is the queue the job runs on.
func (ImportJob) Queue() string { return jobs.QueueLow }

// Import events (topic reos.property.events, key = the import id). Each
// loaded row also emits reos.property.property.created with its import_id,
// as a property created by hand does, so read models built from the topic
// (crm's known properties) see imported properties too.
const (
	EventImportProgress  = "reos.property.import.progress"
	EventImportCompleted = "reos.property.import.completed"
	EventImportFailed    = "reos.property.import.failed"
)

// ImportProgress is the progress of an import: the import.progress event
// after each committed batch, and the running job's progress in the jobs
// API. Line is the checkpoint; BytesRead/FileSize tells how far the file
// has been read (BytesRead is the checkpoint's offset, the file's size
// once it is read to its end).
type ImportProgress struct {
	ImportID  string `json:"import_id"`
	OrgID     string `json:"org_id"`
	Status    string `json:"status"`
	Rows      int    `json:"rows"`
	Accepted  int    `json:"accepted"`
	Rejected  int    `json:"rejected"`
	Skipped   int    `json:"skipped"`
	Line      int    `json:"line"`
	BytesRead int64  `json:"bytes_read"`
	FileSize  int64  `json:"file_size"`
}

type importFinishedData struct {
	ImportID string `json:"import_id"`
	OrgID    string `json:"org_id"`
	FileName string `json:"file_name"`
	Rows     int    `json:"rows"`
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	Skipped  int    `json:"skipped"`
	Failure  string `json:"failure,omitempty"`
	ActorID  string `json:"actor_id,omitempty"`
}

// ImportRepository stores imports and loads their rows.
type ImportRepository interface {
	Create(ctx context.Context, imp domain.Import) error
	// Get and GetForUpdate return domain.ErrImportNotFound for a missing
	// import or another organisation's.
	Get(ctx context.Context, id string) (domain.Import, error)
	GetForUpdate(ctx context.Context, id string) (domain.Import, error)
	// List is newest first (created_at, id), without the row errors.
	List(ctx context.Context, limit int, cursor string) (Page[domain.Import], error)
	// Save stores imp's status, report and checkpoint if the stored
	// checkpoint is still from; false when another run of the import has
	// moved it on.
	Save(ctx context.Context, imp domain.Import, from int) (bool, error)
	// Stage sends the batch's rows to the database, for Load in the same
	// transaction.
	Stage(ctx context.Context, b ImportBatch) error
	// Load inserts the staged properties, each with one history entry
	// (field "import"), skipping those whose listing_key the organisation
	// already has, and returns the lines of the skipped ones.
	Load(ctx context.Context, b ImportBatch) ([]int, error)
	// MarkFileDeleted records that the import's file was deleted at at,
	// unless that is recorded already.
	MarkFileDeleted(ctx context.Context, id string, at time.Time) error
}

// ImportBatch is a batch of validated rows of one import. Their listing
// keys are distinct.
type ImportBatch struct {
	ImportID string
	OrgID    string
	ActorID  *string
	Rows     []ImportedRow
}

// ImportedRow is a record of the file turned into a property.
type ImportedRow struct {
	Line     int
	Property domain.Property
}

// StartImport stores the uploaded CSV file and imports it: inside the
// request when it is small (the import comes back completed), else as a
// job (the import comes back queued with its job id). A file that cannot
// be imported at all (not CSV text, a header that names no listing_key,
// a mapping that does not fit it) is refused before anything is recorded.
func (s *service) StartImport(ctx context.Context, up Upload) (domain.Import, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return domain.Import{}, err
	}
	id := newID()
	key := domain.ImportKey(p.OrgID, id)
	got, err := up.Receive(ctx, s.media.Files, key, storage.Rules{
		MaxBytes: s.imports.MaxBytes,
		// A CSV file whose first bytes do not parse as CSV (broken quoting,
		// one column) sniffs as plain text; the reader judges it.
		Allow:  []string{storage.TypeCSV, storage.TypeText},
		Fields: []string{domain.FieldMapping},
		Check: func(f map[string]string) error {
			_, err := csvimport.ParseMapping(f[domain.FieldMapping])
			return err
		},
	})
	if err != nil {
		return domain.Import{}, err
	}
	imp, err := s.recordImport(ctx, p, id, got)
	if err != nil {
		s.removeFile(ctx, key)
	}
	return imp, err
}

func (s *service) recordImport(ctx context.Context, p auth.Principal, id string, got storage.Received) (domain.Import, error) {
	mapping, err := csvimport.ParseMapping(got.Fields[domain.FieldMapping])
	if err != nil {
		return domain.Import{}, err
	}
	if mapping == nil {
		mapping = map[string]string{}
	}
	var actor *string
	if a := actorID(p); a != "" {
		actor = &a
	}
	imp := domain.NewImport(id, p.OrgID, domain.ImportFile{Name: got.FileName, Size: got.Object.Size, SHA256: got.Object.SHA256},
		mapping, actor, s.now())
	if err := s.checkImportHeader(ctx, imp); err != nil {
		return domain.Import{}, err
	}
	if got.Object.Size <= s.imports.InlineMaxBytes {
		err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
			started := imp.CreatedAt
			imp.Status, imp.StartedAt = domain.ImportRunning, &started
			if err := tx.Imports().Create(ctx, imp); err != nil {
				return err
			}
			// One transaction: the import and every row it loads commit
			// together or not at all.
			return s.importFile(ctx, &imp, tx, nil)
		})
		return imp, err
	}
	org, err := uuid.Parse(p.OrgID)
	if err != nil {
		return domain.Import{}, fmt.Errorf("app: caller's org %q: %w", p.OrgID, err)
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		jobID, err := tx.Jobs().Enqueue(ctx, ImportJob{OrgID: org, ImportID: imp.ID})
		if err != nil {
			return err
		}
		imp.JobID = &jobID
		return tx.Imports().Create(ctx, imp)
	})
	return imp, err
}

// checkImportHeader reads the stored file's header: a file whose columns
// cannot feed a single property is refused while the client still waits.
func (s *service) checkImportHeader(ctx context.Context, imp domain.Import) error {
	rc, _, err := s.media.Files.Open(ctx, imp.FileKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	var rep csvimport.Report
	rd, err := csvimport.NewReader(rc, csvimport.Options{Fields: domain.ImportFields(), Mapping: imp.Mapping}, &rep)
	if err != nil {
		return err
	}
	return domain.CheckImportHeader(rd.HasColumn)
}

func (s *service) GetImport(ctx context.Context, id string) (domain.Import, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return domain.Import{}, err
	}
	if err := parseID("import_id", id); err != nil {
		return domain.Import{}, err
	}
	var imp domain.Import
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		imp, err = tx.Imports().Get(ctx, id)
		return err
	})
	return imp, err
}

func (s *service) ListImports(ctx context.Context, limit int, cursor string) (Page[domain.Import], error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return Page[domain.Import]{}, err
	}
	var page Page[domain.Import]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		page, err = tx.Imports().List(ctx, limit, cursor)
		return err
	})
	return page, err
}

// errImportMoved: another run of the same import committed a batch since
// this one read the checkpoint; this run stops (its job retries, and finds
// the import further on or finished).
var errImportMoved = errors.New("app: the import was moved on by another run")

// RunImport works a step of an import job: it resumes after the import's
// checkpoint (the first step starts at the header; a later one seeks to
// the checkpoint's byte), loads batch after batch, each committed with its
// checkpoint and counts, and either finishes the import in the transaction
// of the last batch, together with the job's completion, or — its step's
// time (or StepBatches) being up — hands over in the transaction of its
// last batch to the next step, a new job enqueued there (pkg/jobs
// Continue), which becomes the import's job. A retried attempt (a crash, a
// lost connection, a process killed and its job rescued) therefore never
// loads or reports a row twice. A file that turns out unreadable mid-way
// (a line over csvimport.MaxLineBytes) fails the import for good; other
// errors are retried, and after the step's last attempt the import is
// failed and the step dead-lettered, where a replay resumes it.
func (s *service) RunImport(ctx context.Context, job ImportJob, run JobRun) error {
	org := job.OrgID.String()
	var imp domain.Import
	finished := false
	err := s.store.InOrg(ctx, org, func(tx Tx) (err error) {
		if imp, err = tx.Imports().GetForUpdate(ctx, job.ImportID); err != nil {
			return err
		}
		if imp.Status == domain.ImportCompleted {
			finished = true // a replay of a finished import has nothing to do
			return tx.Jobs().Complete(ctx, run)
		}
		if imp.FileDeletedAt != nil {
			return nil // failed for good below: no attempt can read the file
		}
		now := s.now()
		// Running again, the import keeps its file: the deletion its end
		// scheduled finds it resumed (domain.Import.FileDue), and its next
		// end schedules another.
		imp.Status, imp.Failure, imp.FinishedAt, imp.UpdatedAt, imp.FileExpiresAt = domain.ImportRunning, nil, nil, now, nil
		if imp.StartedAt == nil {
			imp.StartedAt = &now
		}
		jobID := run.JobID()
		imp.JobID = &jobID
		_, err = tx.Imports().Save(ctx, imp, imp.CheckpointLine)
		return err
	})
	if err != nil || finished {
		return err
	}
	if imp.FileDeletedAt != nil {
		return s.failImport(ctx, imp, domain.FileGoneReason(*imp.FileDeletedAt), run, true)
	}
	err = s.importFile(ctx, &imp, nil, run)
	if err == nil {
		return nil
	}
	var reason string
	permanent := false
	switch {
	case apperr.KindOf(err) == apperr.KindInvalid:
		reason, permanent = problemText(err), true
	case errors.Is(err, storage.ErrNotFound):
		reason, permanent = "the import's file is no longer stored", true
	case run.LastAttempt() && !errors.Is(err, errImportMoved) && ctx.Err() == nil:
		reason = fmt.Sprintf("the import stopped after line %d and %d attempts; replay job %d to resume it", imp.CheckpointLine, jobs.MaxAttempts, run.JobID())
	default:
		return err // retried: the next attempt resumes after the checkpoint
	}
	if ferr := s.failImport(ctx, imp, reason, run, permanent); ferr != nil {
		return errors.Join(err, ferr)
	}
	if permanent {
		return nil // the job is completed with the failed import: no attempt could read the file
	}
	return err
}

// failImport records the import's failure and announces it; permanent
// failures also complete the job, which no retry could help.
func (s *service) failImport(ctx context.Context, imp domain.Import, reason string, run JobRun, permanent bool) error {
	ctx = context.WithoutCancel(ctx)
	return s.store.InOrg(ctx, imp.OrgID, func(tx Tx) error {
		cur, err := tx.Imports().GetForUpdate(ctx, imp.ID)
		if err != nil {
			return err
		}
		now := s.now()
		jobID := run.JobID() // the run that failed it: one that finds the file deleted fails it before saving its job
		cur.Status, cur.Failure, cur.FinishedAt, cur.UpdatedAt, cur.JobID = domain.ImportFailed, &reason, &now, now, &jobID
		// Failed for good or dead-lettered alike: a retry or replay may
		// still resume a dead-lettered import, but only within the
		// retention, which therefore runs from here too.
		if err := s.scheduleFileExpiry(ctx, tx, &cur, now); err != nil {
			return err
		}
		if _, err := tx.Imports().Save(ctx, cur, cur.CheckpointLine); err != nil {
			return err
		}
		if err := tx.Events().Publish(ctx, EventImportFailed, cur.ID, cur.OrgID, finishedData(cur)); err != nil {
			return err
		}
		if permanent {
			return tx.Jobs().Complete(ctx, run)
		}
		return nil
	})
}

// problemText is an apperr's field errors as one sentence ("file: …").
func problemText(err error) string {
	e, _ := apperr.As(err)
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

func finishedData(imp domain.Import) importFinishedData {
	d := importFinishedData{ImportID: imp.ID, OrgID: imp.OrgID, FileName: imp.FileName, Rows: imp.Report.Rows,
		Accepted: imp.Report.Accepted, Rejected: imp.Report.Rejected, Skipped: imp.Report.Skipped}
	if imp.Failure != nil {
		d.Failure = *imp.Failure
	}
	if imp.CreatedBy != nil {
		d.ActorID = *imp.CreatedBy
	}
	return d
}

// importBatch is what the reader hands the loader: the valid rows of up
// to BatchRows records, the report of those records (reads, rejections,
// duplicates within the batch) and the position to checkpoint after them;
// last ends the file, stepEnd the job's step (its loader hands over).
type importBatch struct {
	rows      []ImportedRow
	keyColumn string // the file's listing_key column, for duplicates
	report    csvimport.Report
	ignored   []string
	pos       csvimport.Position
	bytesRead int64
	last      bool
	stepEnd   bool
}

// importFile reads imp's file from its checkpoint and loads it. Reading
// and validating the next batch (a goroutine) overlaps loading the
// current one. Inline (tx set: the request's one transaction) the batches
// are written one after the other; in a job (tx nil) each batch is its
// own transaction, two at a time (loadBatches), until the file or the
// job's step ends. At most five batches are in memory, whatever the
// file's size.
func (s *service) importFile(ctx context.Context, imp *domain.Import, tx Tx, run JobRun) error {
	rc, _, err := s.media.Files.Open(ctx, imp.FileKey)
	if err != nil {
		return err
	}
	defer rc.Close()
	batches := make(chan importBatch, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		return s.readImport(gctx, *imp, rc, batches, run)
	})
	g.Go(func() error {
		if tx == nil {
			return s.loadBatches(gctx, imp, batches, run)
		}
		for b := range batches {
			next, err := s.writeBatch(gctx, tx, *imp, b, nil, batchTurns{})
			if err != nil {
				return err
			}
			*imp = next
		}
		return nil
	})
	return g.Wait()
}

// errPreviousBatchFailed stops a batch whose predecessor did not commit.
var errPreviousBatchFailed = errors.New("app: the previous batch of the import failed")

// batchTurns order a batch's transaction after the previous batch's:
// insert waits until the previous batch has inserted its rows, inserted
// lets the next batch insert, and committed waits until the previous batch
// has committed and returns the import as it left it. Nil functions do not
// wait (one transaction writes every batch, in order).
type batchTurns struct {
	insert    func() error
	inserted  func()
	committed func() (domain.Import, error)
}

// loadBatches writes each batch in its own transaction, two at a time on
// two connections: while one batch announces its rows, merges its report
// and commits, the next stages and inserts its own. Their inserts run in
// file order and so do their commits, so the checkpoint only moves
// forward. Two batches cannot deadlock: a batch has inserted before the
// next one starts to, and afterwards writes nothing that batch holds (the
// next may wait for the earlier's keys, a duplicate across batches, until
// it commits). A batch whose predecessor failed fails too; what had
// committed stays, and imp is left as the last committed batch left it.
func (s *service) loadBatches(ctx context.Context, imp *domain.Import, batches <-chan importBatch, run JobRun) error {
	type turn struct {
		inserted, done chan struct{}
		imp            domain.Import // as this batch committed it (once done is closed)
		ok             bool
	}
	ident := *imp // the import's identity, for every batch (never changes)
	prev := &turn{inserted: make(chan struct{}), done: make(chan struct{}), imp: ident, ok: true}
	close(prev.inserted)
	close(prev.done)
	wait := func(c <-chan struct{}) error {
		select {
		case <-c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		last     = *imp
	)
	stopped := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil || ctx.Err() != nil
	}
	slots := make(chan struct{}, 2) // transactions at once
	for b := range batches {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if stopped() {
			break
		}
		cur := &turn{inserted: make(chan struct{}), done: make(chan struct{})}
		wg.Add(1)
		go func(b importBatch, prev, cur *turn) {
			defer wg.Done()
			defer func() { <-slots }()
			defer close(cur.done)
			var once sync.Once
			signal := func() { once.Do(func() { close(cur.inserted) }) }
			defer signal()
			var next domain.Import
			err := s.store.InOrg(ctx, ident.OrgID, func(tx Tx) (err error) {
				next, err = s.writeBatch(ctx, tx, ident, b, run, batchTurns{
					insert:   func() error { return wait(prev.inserted) },
					inserted: signal,
					committed: func() (domain.Import, error) {
						if err := wait(prev.done); err != nil {
							return domain.Import{}, err
						}
						if !prev.ok {
							return domain.Import{}, errPreviousBatchFailed
						}
						return prev.imp, nil
					},
				})
				return err
			})
			mu.Lock()
			if err != nil && firstErr == nil {
				firstErr = err // the earliest failure comes first: its successors learn of it only once it is done
			}
			if err == nil {
				last = next
			}
			mu.Unlock()
			if err != nil {
				return
			}
			cur.imp, cur.ok = next, true
			if run != nil {
				// Outside the batch's transaction (pkg/jobs writes it at
				// once); a lost progress update is not worth failing for.
				if err := s.store.SetJobProgress(ctx, run.JobID(), progressOf(next, b.bytesRead)); err != nil {
					s.log.WarnContext(ctx, "import progress not recorded", "import_id", ident.ID, "error", err)
				}
			}
		}(b, prev, cur)
		prev = cur
	}
	wg.Wait()
	*imp = last
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// writeBatch writes one batch in tx: its rows (staged, then inserted in
// their turn), their created events, then — once the previous batch has
// committed — its outcome merged into the import's report, the progress
// event and the checkpoint; with the last batch, the import's completion
// (and the job's). It returns the import as the batch leaves it. imp
// gives the import's identity (id, org, creator), which never changes.
func (s *service) writeBatch(ctx context.Context, tx Tx, imp domain.Import, b importBatch, run JobRun, t batchTurns) (domain.Import, error) {
	batch := ImportBatch{ImportID: imp.ID, OrgID: imp.OrgID, ActorID: imp.CreatedBy, Rows: b.rows}
	if err := tx.Imports().Stage(ctx, batch); err != nil {
		return domain.Import{}, err
	}
	if t.insert != nil {
		if err := t.insert(); err != nil {
			return domain.Import{}, err
		}
	}
	skipped, err := tx.Imports().Load(ctx, batch)
	if t.inserted != nil {
		t.inserted()
	}
	if err != nil {
		return domain.Import{}, err
	}
	if err := tx.Events().PublishAll(ctx, EventPropertyCreated, imp.OrgID, createdEvents(loadedRows(b.rows, skipped), imp)); err != nil {
		return domain.Import{}, err
	}
	next := imp
	if t.committed != nil {
		if next, err = t.committed(); err != nil {
			return domain.Import{}, err
		}
	}
	from := next.CheckpointLine
	mergeBatch(&next, b, skipped)
	now := s.now()
	next.CheckpointLine, next.CheckpointOffset, next.UpdatedAt = b.pos.Line, b.pos.Offset, now
	// The last batch of a file read to the end in a batch of its own holds
	// nothing new: no progress to announce.
	if b.report.Rows > 0 {
		if err := tx.Events().Publish(ctx, EventImportProgress, imp.ID, imp.OrgID, progressOf(next, b.bytesRead)); err != nil {
			return domain.Import{}, err
		}
	}
	switch {
	case b.last:
		if err := s.completeImport(ctx, tx, &next, run, now); err != nil {
			return domain.Import{}, err
		}
	case b.stepEnd:
		// The next step exists exactly when this checkpoint does.
		jobID, err := tx.Jobs().Continue(ctx, run)
		if err != nil {
			return domain.Import{}, err
		}
		next.JobID = &jobID
	}
	saved, err := tx.Imports().Save(ctx, next, from)
	if err != nil {
		return domain.Import{}, err
	}
	if !saved {
		return domain.Import{}, errImportMoved
	}
	return next, nil
}

// readImport reads the file into batches, from the import's checkpoint,
// until its end or — in a job, run set — the end of the job's step: the
// batch that ends the step is the last one sent.
func (s *service) readImport(ctx context.Context, imp domain.Import, r io.Reader, out chan<- importBatch, run JobRun) error {
	// The reader counts into part; each batch takes it and starts afresh,
	// so the loader merges the records' outcomes in line order.
	var part csvimport.Report
	opts := csvimport.Options{Fields: domain.ImportFields(), Mapping: imp.Mapping, ResumeAfterLine: imp.CheckpointLine}
	if imp.CheckpointOffset > 0 {
		// Seek past what earlier steps loaded instead of parsing it again.
		opts.Resume = csvimport.Position{Line: imp.CheckpointLine, Offset: imp.CheckpointOffset}
	}
	rd, err := csvimport.NewReader(r, opts, &part)
	if err != nil {
		return err
	}
	b := importBatch{ignored: part.IgnoredColumns}
	part.IgnoredColumns = nil
	keyColumn := rd.Column(domain.ImportListingKeyColumn)
	seen := make(map[string]int, s.imports.BatchRows) // listing_key → line, within the batch
	now := s.now()
	sent := 0 // batches of this step
	send := func() error {
		b.report, b.pos, b.keyColumn = part, rd.Position(), keyColumn
		b.bytesRead = b.pos.Offset
		if b.last {
			b.bytesRead = imp.FileSize // blank lines after the last record included
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		sent++
		part, b = csvimport.Report{}, importBatch{}
		clear(seen)
		now = s.now()
		return nil
	}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			b.last = true
			return send()
		}
		if err != nil {
			return err
		}
		prop, errs := domain.NewImportedProperty(newID(), imp.OrgID, row.Values, now)
		if len(errs) > 0 {
			rowErrs := make([]csvimport.RowError, len(errs))
			for i, e := range errs {
				rowErrs[i] = csvimport.RowError{Line: row.Line, Column: rd.Column(e.Field), Reason: e.Reason}
			}
			part.RejectRecord(rowErrs...)
		} else if first, dup := seen[*prop.ListingKey]; dup {
			part.Skip(csvimport.RowError{Line: row.Line, Column: keyColumn, Reason: domain.DuplicateReason(*prop.ListingKey, first)})
		} else {
			seen[*prop.ListingKey] = row.Line
			b.rows = append(b.rows, ImportedRow{Line: row.Line, Property: prop})
		}
		if part.Rows >= s.imports.BatchRows {
			b.stepEnd = s.stepOver(ctx, run, sent+1)
			end := b.stepEnd
			if err := send(); err != nil {
				return err
			}
			if end {
				return nil
			}
		}
	}
}

// stepOver reports whether a job's step that has filled its batches-th
// batch should end with it: its time is up (pkg/jobs StepOver), or it has
// loaded StepBatches. An inline import (run nil) has no steps.
func (s *service) stepOver(ctx context.Context, run JobRun, batches int) bool {
	if run == nil {
		return false
	}
	return (s.imports.StepBatches > 0 && batches >= s.imports.StepBatches) || run.StepOver(ctx)
}

// completeImport finishes the import in the last batch's transaction. In a
// job, the completion event is a keyed effect and the job completes here.
func (s *service) completeImport(ctx context.Context, tx Tx, imp *domain.Import, run JobRun, now time.Time) error {
	imp.Status, imp.FinishedAt = domain.ImportCompleted, &now
	if err := s.scheduleFileExpiry(ctx, tx, imp, now); err != nil {
		return err
	}
	announce := true
	if run != nil {
		fresh, err := tx.Jobs().ClaimEffect(ctx, run, "property.import.completed:"+imp.ID)
		if err != nil {
			return err
		}
		announce = fresh
		if err := tx.Jobs().Complete(ctx, run); err != nil {
			return err
		}
	}
	if !announce {
		return nil
	}
	return tx.Events().Publish(ctx, EventImportCompleted, imp.ID, imp.OrgID, finishedData(*imp))
}

// loadedRows are the batch's rows less those the loader skipped.
func loadedRows(rows []ImportedRow, skipped []int) []ImportedRow {
	if len(skipped) == 0 {
		return rows
	}
	dup := make(map[int]bool, len(skipped))
	for _, l := range skipped {
		dup[l] = true
	}
	out := make([]ImportedRow, 0, len(rows)-len(skipped))
	for _, row := range rows {
		if !dup[row.Line] {
			out = append(out, row)
		}
	}
	return out
}

// mergeBatch adds b's outcome to imp's report, the loader's duplicates
// (skipped lines) included, keeping the row errors in line order and
// within csvimport.MaxReportedErrors.
func mergeBatch(imp *domain.Import, b importBatch, skipped []int) {
	r := &imp.Report
	if len(r.IgnoredColumns) == 0 && len(b.ignored) > 0 {
		r.IgnoredColumns = b.ignored
	}
	errs := b.report.Errors
	if len(skipped) > 0 {
		dup := make(map[int]bool, len(skipped))
		for _, l := range skipped {
			dup[l] = true
		}
		for _, row := range b.rows {
			if dup[row.Line] {
				errs = append(errs, csvimport.RowError{Line: row.Line, Column: b.keyColumn,
					Reason: domain.DuplicateReason(*row.Property.ListingKey, 0)})
			}
		}
		// The batch's own errors come first when listed, its loader's
		// duplicates after: sort them into line order.
		slices.SortStableFunc(errs, func(a, b csvimport.RowError) int { return cmp.Compare(a.Line, b.Line) })
	}
	r.Rows += b.report.Rows
	r.Rejected += b.report.Rejected
	r.Skipped += b.report.Skipped + len(skipped)
	r.Accepted += len(b.rows) - len(skipped)
	// Both lists hold their first errors in line order, so the report's
	// first MaxReportedErrors are exactly these (csvimport.Report's cap).
	room := csvimport.MaxReportedErrors - len(r.Errors)
	if len(errs) > room || b.report.ErrorsTruncated {
		r.ErrorsTruncated = true
	}
	r.Errors = append(r.Errors, errs[:min(len(errs), max(room, 0))]...)
}

func createdEvents(rows []ImportedRow, imp domain.Import) []EventData {
	out := make([]EventData, len(rows))
	actor := ""
	if imp.CreatedBy != nil {
		actor = *imp.CreatedBy
	}
	for i, row := range rows {
		p := row.Property
		price := p.ListPriceCents
		out[i] = EventData{Key: p.ID, Data: propertyEventData{
			PropertyID: p.ID, OrgID: p.OrgID, ListingKey: p.ListingKey, PropertyType: p.PropertyType,
			StandardStatus: p.StandardStatus, ListPriceCents: &price, City: p.City, PostalCode: p.PostalCode,
			ActorID: actor, ImportID: imp.ID,
		}}
	}
	return out
}

func progressOf(imp domain.Import, bytesRead int64) ImportProgress {
	return ImportProgress{ImportID: imp.ID, OrgID: imp.OrgID, Status: imp.Status, Rows: imp.Report.Rows,
		Accepted: imp.Report.Accepted, Rejected: imp.Report.Rejected, Skipped: imp.Report.Skipped,
		Line: imp.CheckpointLine, BytesRead: bytesRead, FileSize: imp.FileSize}
}
