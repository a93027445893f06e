package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

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
	DefaultImportFileRetention  = csvimport.DefaultFileRetention
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
	// Save stores imp's status, report, checkpoint, job and file expiry.
	Save(ctx context.Context, imp domain.Import) error
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
	// KeyDerived: the record had no listing_key; it is domain.AddressKey's.
	KeyDerived bool
}

// StartImport stores the uploaded CSV file and imports it: inside the
// request when it is small (the import comes back ended), else as a job
// (the import comes back queued with its job id). A file that cannot be
// imported at all (not CSV text, a header without the columns a property
// needs, a mapping that does not fit it) is refused before anything is
// recorded.
func (s *service) StartImport(ctx context.Context, up Upload) (domain.Import, error) {
	p, id, key, got, err := s.receiveImport(ctx, up)
	if err != nil {
		return domain.Import{}, err
	}
	imp, err := s.recordImport(ctx, p, id, got)
	if err != nil {
		s.removeFile(ctx, key)
		return domain.Import{}, err
	}
	if imp.JobID != nil {
		return imp, nil
	}
	ended, err := s.runner.Run(ctx, p.OrgID, imp.ID, nil)
	if err != nil {
		return domain.Import{}, err
	}
	return *ended, nil
}

// receiveImport checks the caller and stores the uploaded file under a
// new import's id and key.
func (s *service) receiveImport(ctx context.Context, up Upload) (p auth.Principal, id, key string, got storage.Received, err error) {
	p, err = auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return p, "", "", got, err
	}
	id = newID()
	key = domain.ImportKey(p.OrgID, id)
	got, err = up.Receive(ctx, s.media.Files, key, storage.Rules{
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
	return p, id, key, got, err
}

// PreviewImport is a dry run of an import (?dry_run=true): the mapping it
// would use and why, the columns it would ignore, and the outcome of the
// first csvimport.PreviewRows records. Nothing is recorded; the file is
// stored only while it is read, then deleted.
func (s *service) PreviewImport(ctx context.Context, up Upload) (csvimport.Preview, error) {
	p, id, key, got, err := s.receiveImport(ctx, up)
	if err != nil {
		return csvimport.Preview{}, err
	}
	defer s.removeFile(ctx, key)
	mapping, err := csvimport.ParseMapping(got.Fields[domain.FieldMapping])
	if err != nil {
		return csvimport.Preview{}, err
	}
	imp := domain.NewImport(id, p.OrgID, domain.ImportFile{Name: got.FileName, Size: got.Object.Size, SHA256: got.Object.SHA256},
		mapping, nil, s.now())
	return s.runner.Preview(ctx, &imp)
}

// recordImport records the import of a received file whose header fits:
// running, to be imported inline, or queued with its job.
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
	if err := s.runner.CheckFile(ctx, imp.FileKey, imp.Mapping); err != nil {
		return domain.Import{}, err
	}
	org, err := uuid.Parse(p.OrgID)
	if err != nil {
		return domain.Import{}, fmt.Errorf("app: caller's org %q: %w", p.OrgID, err)
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if got.Object.Size <= s.imports.InlineMaxBytes {
			started := imp.CreatedAt
			imp.Status, imp.StartedAt = domain.ImportRunning, &started
			return tx.Imports().Create(ctx, imp)
		}
		jobID, err := tx.Jobs().Enqueue(ctx, ImportJob{OrgID: org, ImportID: imp.ID})
		if err != nil {
			return err
		}
		imp.JobID = &jobID
		return tx.Imports().Create(ctx, imp)
	})
	return imp, err
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

// RunImport works a step of an import job (pkg/csvimport's Runner.Run):
// it resumes at the import's checkpoint and either ends the import or
// hands over to the next step.
func (s *service) RunImport(ctx context.Context, job ImportJob, run JobRun) error {
	_, err := s.runner.Run(ctx, job.OrgID.String(), job.ImportID, jobStep{run: run, store: s.store})
	return err
}

// importRunner is property's imports as pkg/csvimport's runner works them.
type importRunner = csvimport.Runner[Tx, *domain.Import, ImportedRow]

func newImportRunner(s *service) (*importRunner, error) {
	return csvimport.NewRunner[Tx, *domain.Import, ImportedRow](propertyImports{s: s}, csvimport.Config{
		Name: ImportJobKind, FileExpireKind: ImportFileExpireJobKind,
		Fields: domain.ImportFields(), Recognise: domain.ImportColumns, CheckHeader: domain.CheckImportHeader,
		Again:     "listing keys already loaded are skipped",
		BatchRows: s.imports.BatchRows, StepBatches: s.imports.StepBatches, FileRetention: s.imports.FileRetention,
		Files: s.media.Files, Now: s.now, Logger: s.log,
	})
}

// propertyImports is csvimport.Importer: where property keeps its imports,
// how their rows are planned and written, and what it announces.
type propertyImports struct{ s *service }

func (pi propertyImports) InOrg(ctx context.Context, orgID string, fn func(Tx) error) error {
	return pi.s.store.InOrg(ctx, orgID, fn)
}

func (propertyImports) Lock(ctx context.Context, tx Tx, id string) (*domain.Import, error) {
	imp, err := tx.Imports().GetForUpdate(ctx, id)
	return &imp, err
}

func (propertyImports) Save(ctx context.Context, tx Tx, imp *domain.Import) error {
	return tx.Imports().Save(ctx, *imp)
}

func (propertyImports) MarkFileDeleted(ctx context.Context, tx Tx, id string, at time.Time) error {
	return tx.Imports().MarkFileDeleted(ctx, id, at)
}

func (propertyImports) ScheduleFileExpiry(ctx context.Context, tx Tx, imp *domain.Import, at time.Time) error {
	org, err := uuid.Parse(imp.OrgID)
	if err != nil {
		return fmt.Errorf("app: import %s org %q: %w", imp.ID, imp.OrgID, err)
	}
	_, err = tx.Jobs().Schedule(ctx, ImportFileExpireJob{OrgID: org, ImportID: imp.ID, ExpiresAt: at}, at)
	return err
}

func (pi propertyImports) Begin(_ context.Context, imp *domain.Import, rd *csvimport.Reader) (csvimport.Batches[Tx, *domain.Import, ImportedRow], error) {
	return &propertyBatches{s: pi.s, orgID: imp.OrgID, rd: rd, keyColumn: rd.Column(domain.ImportListingKeyColumn)}, nil
}

func (propertyImports) Progressed(ctx context.Context, tx Tx, imp *domain.Import) error {
	return tx.Events().Publish(ctx, EventImportProgress, imp.ID, imp.OrgID, progressOf(*imp))
}

// Ended announces every end: completed, or failed (for good, or by a job
// that gave up).
func (propertyImports) Ended(ctx context.Context, tx Tx, imp *domain.Import, _ csvimport.End) error {
	event := EventImportCompleted
	if imp.Status == domain.ImportFailed {
		event = EventImportFailed
	}
	return tx.Events().Publish(ctx, event, imp.ID, imp.OrgID, finishedData(*imp))
}

func (propertyImports) Progress(imp *domain.Import) any { return progressOf(*imp) }

// propertyBatches plans records into properties and loads them.
type propertyBatches struct {
	s         *service
	orgID     string
	rd        *csvimport.Reader
	keyColumn string // the file's listing_key column, for duplicates
}

func (b *propertyBatches) Plan(rec *csvimport.Row) (ImportedRow, []csvimport.RowError) {
	prop, errs := domain.NewImportedProperty(newID(), b.orgID, rec.Values, b.s.now())
	if len(errs) == 0 {
		return ImportedRow{Line: rec.Line, Property: prop, KeyDerived: rec.Values[domain.ImportListingKeyColumn] == ""}, nil
	}
	rowErrs := make([]csvimport.RowError, len(errs))
	for i, e := range errs {
		rowErrs[i] = csvimport.RowError{Line: rec.Line, Column: b.rd.Column(e.Field), Reason: e.Reason}
	}
	return ImportedRow{}, rowErrs
}

// Notes tell a dry run of a derived listing key (csvimport.Noter).
func (b *propertyBatches) Notes(row ImportedRow) []string {
	if !row.KeyDerived {
		return nil
	}
	return []string{fmt.Sprintf("listing_key %s derived from the address %q", *row.Property.ListingKey, domain.NormalAddress(row.Property))}
}

// Write loads the batch's properties, skipping listing keys that repeat
// within the batch (the first stays) or that the organisation has, and
// announces each loaded one as a property created by hand is.
func (b *propertyBatches) Write(ctx context.Context, tx Tx, imp *domain.Import, rows []ImportedRow) (csvimport.Written, error) {
	var w csvimport.Written
	seen := make(map[string]int, len(rows)) // listing_key → line
	distinct := make([]ImportedRow, 0, len(rows))
	for _, row := range rows {
		key := *row.Property.ListingKey
		if first, dup := seen[key]; dup {
			w.Skipped = append(w.Skipped, csvimport.RowError{Line: row.Line, Column: b.keyColumn, Reason: domain.DuplicateReason(key, first)})
			continue
		}
		seen[key] = row.Line
		distinct = append(distinct, row)
	}
	batch := ImportBatch{ImportID: imp.ID, OrgID: imp.OrgID, ActorID: imp.CreatedBy, Rows: distinct}
	if err := tx.Imports().Stage(ctx, batch); err != nil {
		return w, err
	}
	skipped, err := tx.Imports().Load(ctx, batch)
	if err != nil {
		return w, err
	}
	dup := make(map[int]bool, len(skipped))
	for _, l := range skipped {
		dup[l] = true
	}
	loaded := make([]ImportedRow, 0, len(distinct)-len(skipped))
	for _, row := range distinct {
		if dup[row.Line] {
			w.Skipped = append(w.Skipped, csvimport.RowError{Line: row.Line, Column: b.keyColumn,
				Reason: domain.DuplicateReason(*row.Property.ListingKey, 0)})
		} else {
			loaded = append(loaded, row)
		}
	}
	w.Accepted = len(loaded)
	return w, tx.Events().PublishAll(ctx, EventPropertyCreated, imp.OrgID, createdEvents(loaded, *imp))
}

// jobStep is a job attempt as pkg/csvimport's runner needs it (Step, Job).
type jobStep struct {
	run   JobRun
	store Store
}

func (j jobStep) JobID() int64                      { return j.run.JobID() }
func (j jobStep) LastAttempt() bool                 { return j.run.LastAttempt() }
func (j jobStep) StepOver(ctx context.Context) bool { return j.run.StepOver(ctx) }
func (j jobStep) ClaimEffect(ctx context.Context, tx Tx, key string) (bool, error) {
	return tx.Jobs().ClaimEffect(ctx, j.run, key)
}
func (j jobStep) Complete(ctx context.Context, tx Tx) error { return tx.Jobs().Complete(ctx, j.run) }
func (j jobStep) Continue(ctx context.Context, tx Tx) (int64, error) {
	return tx.Jobs().Continue(ctx, j.run)
}
func (j jobStep) SetProgress(ctx context.Context, progress any) error {
	return j.store.SetJobProgress(ctx, j.run.JobID(), progress)
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

// progressOf is the import's progress: how far the file is read is the
// checkpoint's offset, the file's size once it is read to its end.
func progressOf(imp domain.Import) ImportProgress {
	read := imp.Checkpoint.Offset
	if imp.Status == domain.ImportCompleted {
		read = imp.FileSize // blank lines after the last record included
	}
	return ImportProgress{ImportID: imp.ID, OrgID: imp.OrgID, Status: imp.Status, Rows: imp.Report.Rows,
		Accepted: imp.Report.Accepted, Rejected: imp.Report.Rejected, Skipped: imp.Report.Skipped,
		Line: imp.Checkpoint.Line, BytesRead: read, FileSize: imp.FileSize}
}
