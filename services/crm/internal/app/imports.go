package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/domain"
)

// ErrImportContention is ImportRepository.WriteBatch's retryable failure.
var ErrImportContention = errors.New("app: a concurrent change touched the same people")

// ImportBatch is one planned batch of an import, ready to write.
type ImportBatch struct {
	NewContacts     []domain.Contact
	UpdatedContacts []domain.Contact
	Leads           []ImportedLead
	// ActorID is the user who imported the file.
	ActorID *string
	// Events announce the new leads (created, assigned); they are
	// published with the batch.
	Events []Event
}

// ImportedLead is a new lead (with its score set) and what its creation
// records: CreatedID and AssignedID name the timeline's created and
// assigned entries (AssignedID "" when the lead is unassigned), RuleID the
// assignment rule that chose the assignee. Unlike CreateLead, an import
// records no score history row: the score is on the lead, and its history
// starts with the lead's first rescoring (the row with its factors costs
// about as much to write as the lead itself).
type ImportedLead struct {
	Lead                  domain.Lead
	CreatedID, AssignedID string
	RuleID                *string
}

// FileUpload is an upload not yet read (storage.Upload): Receive checks its
// form fields, sniffs its type and streams it into the store.
type FileUpload interface {
	Receive(ctx context.Context, store storage.Store, key string, rules storage.Rules) (storage.Received, error)
}

// FileLinks signs expiring download links (storage.Signer).
type FileLinks interface {
	URL(key string, expires time.Time) (storage.SignedURL, error)
}

// JobProgress records a running job's progress (jobs.Queue).
type JobProgress interface {
	SetProgress(ctx context.Context, jobID int64, progress any) error
}

// ImportRun is a run of the lead import job: JobRun and the job's id (for
// progress) and whether a failure ends it. The job works the import in
// steps (pkg/jobs): once StepOver is true, the chunk being filled is the
// step's last, and its transaction hands over with Continue.
type ImportRun interface {
	JobRun
	JobID() int64
	LastAttempt() bool
	// StepOver reports whether the attempt working in ctx has worked its
	// step's share (pkg/jobs StepOver).
	StepOver(ctx context.Context) bool
	// Continue enqueues the import job's next step in tx and completes this
	// one (pkg/jobs Continue), so the next step exists exactly when the
	// checkpoint of tx commits; it returns the next step's id.
	Continue(ctx context.Context, tx Tx) (int64, error)
}

// ImportJobKind is the River kind of the lead import job.
const ImportJobKind = "crm.lead_import"

// Form fields of an import upload besides the file.
const (
	importFieldMapping = "mapping"
	importFieldRegion  = "phone_region"
)

// importContentTypes are what a CSV sniffs as: text/csv when the sample
// parses as CSV, else plain text (a sample cut inside a quoted value, a BOM).
var importContentTypes = []string{storage.TypeCSV, storage.TypeText}

// UploadConfig bounds uploads; zero values take the defaults.
type UploadConfig struct {
	// ImportMaxBytes is the largest lead import file (default 64 MiB, the
	// front door's request limit).
	ImportMaxBytes int64
	// ImportInlineBytes is the largest file imported within the request
	// (default 1 MiB, some ten thousand rows); larger ones run as a job.
	ImportInlineBytes int64
	// ImportBatchRows is how many valid rows one transaction writes
	// (default 5000).
	ImportBatchRows int
	// DocumentMaxBytes is the largest deal document (default 25 MiB).
	DocumentMaxBytes int64
	// LinkTTL is how long a document's download link works (default 15 min).
	LinkTTL time.Duration
	// ImportFileRetention is how long an ended import's file is kept
	// (imports_retention.go); unlike the others, zero is no default but
	// "forever".
	ImportFileRetention time.Duration
}

func (c UploadConfig) withDefaults() UploadConfig {
	if c.ImportMaxBytes <= 0 {
		c.ImportMaxBytes = 64 << 20
	}
	if c.ImportInlineBytes <= 0 {
		c.ImportInlineBytes = 1 << 20
	}
	if c.ImportBatchRows <= 0 {
		c.ImportBatchRows = 5000
	}
	if c.DocumentMaxBytes <= 0 {
		c.DocumentMaxBytes = 25 << 20
	}
	if c.LinkTTL <= 0 {
		c.LinkTTL = 15 * time.Minute
	}
	c.ImportFileRetention = max(c.ImportFileRetention, 0)
	return c
}

// DefaultImportFileRetention is IMPORT_FILE_RETENTION's default: 30 days.
const DefaultImportFileRetention = 30 * 24 * time.Hour

// importRetries bounds how often a batch is planned again after it lost a
// race with a concurrent writer.
const importRetries = 3

// ImportLeads receives a CSV of leads (multipart: optional mapping and
// phone_region fields, then file), checks it can be imported at all, and
// imports it: inline when the file is at most Config.ImportInlineBytes (the
// returned import has ended), else as a job (the import is queued).
func (s *service) ImportLeads(ctx context.Context, up FileUpload) (domain.LeadImport, error) {
	p, err := auth.CallerWith(ctx, PermLeadsWrite)
	if err != nil {
		return domain.LeadImport{}, err
	}
	now := s.now()
	imp := domain.LeadImport{ID: newID(), Status: domain.ImportRunning, PhoneRegion: s.cfg.DefaultPhoneRegion,
		CreatedBy: actorID(p), CreatedAt: now, UpdatedAt: now}
	imp.FileKey = p.OrgID + "/lead-imports/" + imp.ID + ".csv"
	rec, err := up.Receive(ctx, s.files, imp.FileKey, storage.Rules{
		MaxBytes: s.cfg.Uploads.ImportMaxBytes, Allow: importContentTypes,
		Fields: []string{importFieldMapping, importFieldRegion},
		Check: func(fields map[string]string) error {
			return parseImportOptions(fields, &imp)
		},
	})
	if err != nil {
		return domain.LeadImport{}, err
	}
	imp.FileName, imp.FileSize = rec.FileName, rec.Object.Size
	if err := s.checkImportFile(ctx, imp); err != nil {
		s.dropFile(ctx, imp.FileKey)
		return domain.LeadImport{}, err
	}
	if imp.FallbackAssignee, err = s.importScope(ctx, p); err != nil {
		s.dropFile(ctx, imp.FileKey)
		return domain.LeadImport{}, err
	}
	imp.Report.Errors, imp.Report.IgnoredColumns = []csvimport.RowError{}, []string{}
	if imp.FileSize > s.cfg.Uploads.ImportInlineBytes {
		imp.Status = domain.ImportQueued
		err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
			id, err := tx.Jobs().EnqueueImport(ctx, p.OrgID, imp.ID)
			if err != nil {
				return err
			}
			imp.JobID = &id
			return tx.Imports().Create(ctx, p.OrgID, imp)
		})
		if err != nil {
			s.dropFile(ctx, imp.FileKey)
		}
		return imp, err
	}
	if err := s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return tx.Imports().Create(ctx, p.OrgID, imp) }); err != nil {
		s.dropFile(ctx, imp.FileKey)
		return domain.LeadImport{}, err
	}
	done, err := s.runImport(ctx, p.OrgID, imp, nil)
	if err != nil && ctx.Err() == nil {
		s.failImport(ctx, p.OrgID, imp.ID, "the import stopped on an internal error; uploading the file again imports the rest (rows already imported merge)")
	}
	return done, err
}

// parseImportOptions reads the form fields of an upload into imp.
func parseImportOptions(fields map[string]string, imp *domain.LeadImport) error {
	m, err := csvimport.ParseMapping(fields[importFieldMapping])
	if err != nil {
		return err
	}
	imp.Mapping = m
	if r := strings.ToUpper(strings.TrimSpace(fields[importFieldRegion])); r != "" {
		if !domain.ValidRegion(r) {
			return apperr.Invalid(importFieldRegion, "must be an ISO 3166-1 alpha-2 region code such as US")
		}
		imp.PhoneRegion = r
	}
	return nil
}

// checkImportFile reads the stored file's header: a file that cannot be
// imported at all (not CSV, a mapping that does not fit, no email or phone
// column) is refused before anything is queued.
func (s *service) checkImportFile(ctx context.Context, imp domain.LeadImport) error {
	body, _, err := s.files.Open(ctx, imp.FileKey)
	if err != nil {
		return err
	}
	defer body.Close()
	_, err = openImportReader(body, imp, &csvimport.Report{})
	return err
}

func openImportReader(r io.Reader, imp domain.LeadImport, rep *csvimport.Report) (*csvimport.Reader, error) {
	rd, err := csvimport.NewReader(r, csvimport.Options{Fields: domain.ImportFields(), Mapping: imp.Mapping, ResumeAfterLine: imp.Checkpoint}, rep)
	if err != nil {
		return nil, err
	}
	return rd, domain.CheckImportColumns(rd.HasColumn)
}

// importScope is whom an import's unassigned leads go to when no rule
// assigns them: a caller who sees only its own leads gets them (as with
// CreateLead), so the import is decided when the caller's roles are known.
func (s *service) importScope(ctx context.Context, p auth.Principal) (*string, error) {
	var scope Scope
	err := s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		var err error
		scope, err = leadScope(ctx, tx, p)
		return err
	})
	if err != nil || scope == Unscoped {
		return nil, err
	}
	me := string(scope)
	return &me, nil
}

// dropFile deletes an upload whose import was refused; a failure only
// leaves an unreferenced file behind.
func (s *service) dropFile(ctx context.Context, key string) {
	if err := s.files.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.log.WarnContext(ctx, "could not delete a refused upload", "key", key, "error", err)
	}
}

// RunLeadImport is a step of the lead import job of orgID's import: it
// resumes the import after its checkpoint and either completes the job with
// the import's end or, its step's time being up, hands over to the next
// step in the transaction of its last chunk (which becomes the import's
// job). An import that has completed already (a replayed job) only
// completes the job.
func (s *service) RunLeadImport(ctx context.Context, orgID, importID string, run ImportRun) error {
	if run == nil {
		return errors.New("app: RunLeadImport: nil run")
	}
	var imp domain.LeadImport
	done := false
	err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		var err error
		if imp, err = tx.Imports().GetForUpdate(ctx, importID, Unscoped); err != nil {
			return err
		}
		if imp.Status == domain.ImportCompleted {
			done = true
			return run.Complete(ctx, tx)
		}
		if imp.FileDeletedAt != nil {
			return nil // runImport fails it for good: no attempt can read the file
		}
		// Running again, the import keeps its file: the deletion its end
		// scheduled finds it resumed (domain.LeadImport.FileDue), and its
		// next end schedules another.
		imp.Status, imp.Error, imp.UpdatedAt, imp.FileExpiresAt = domain.ImportRunning, nil, s.now(), nil
		return tx.Imports().Save(ctx, imp)
	})
	if err != nil || done {
		return err
	}
	_, err = s.runImport(ctx, orgID, imp, run)
	if err != nil && run.LastAttempt() && ctx.Err() == nil {
		s.failImport(ctx, orgID, importID, "the import stopped after its last attempt; retrying its job resumes it")
	}
	return err
}

// failImport records that an import's job gave up (best effort: the job's
// own failure is what is returned).
func (s *service) failImport(ctx context.Context, orgID, id, msg string) {
	err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		imp, err := tx.Imports().GetForUpdate(ctx, id, Unscoped)
		if err != nil {
			return err
		}
		now := s.now()
		imp.Status, imp.Error, imp.UpdatedAt = domain.ImportFailed, &msg, now
		// A retry may still resume a dead-lettered import, but only within
		// the retention, which therefore runs from here too.
		if err := s.scheduleFileExpiry(ctx, tx, orgID, &imp, now); err != nil {
			return err
		}
		return tx.Imports().Save(ctx, imp)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "could not mark a lead import failed", "import_id", id, "error", err)
	}
}

// importer is one run over an import's file: a reader goroutine parses and
// validates the rows into chunks of Config.Uploads.ImportBatchRows valid
// rows while the run writes the previous chunk, so reading the file (the
// phone numbers' parsing above all) overlaps the database's work.
type importer struct {
	s   *service
	org string
	imp domain.LeadImport // as last committed
	run ImportRun         // nil inline
	// rd, region, sources and lookup are the reader goroutine's.
	rd      *csvimport.Reader
	region  string
	sources []domain.LeadSource
	lookup  map[string]string
	// analysed: the statistics were refreshed after the run's first batch.
	analysed bool
}

// chunk is what the reader hands the writer: valid rows, and the report
// and last line read as they stood after them.
type chunk struct {
	rows    []domain.ImportRow
	report  csvimport.Report
	last    int
	end     bool   // the file is read
	stepEnd bool   // the job's step ends with this chunk (it hands over)
	failure string // the rest of the file cannot be read (ends the import)
	err     error  // reading failed (the run fails, a retry resumes)
}

// runImport imports imp's file after its checkpoint. Each chunk commits in
// one transaction with the import's new checkpoint and report, so a run that
// stops (a crash, a lost database) and starts again neither repeats nor
// loses a row: the reader resumes after the checkpoint with the report
// saved there. The last transaction ends the import (and completes run's
// job).
func (s *service) runImport(ctx context.Context, orgID string, imp domain.LeadImport, run ImportRun) (domain.LeadImport, error) {
	im := &importer{s: s, org: orgID, imp: imp, run: run, region: imp.PhoneRegion}
	if imp.FileDeletedAt != nil {
		return im.imp, im.write(ctx, chunk{report: imp.Report.Report, last: imp.Checkpoint, end: true,
			failure: domain.FileGoneReason(*imp.FileDeletedAt)})
	}
	body, _, err := s.files.Open(ctx, imp.FileKey)
	if errors.Is(err, storage.ErrNotFound) {
		return im.imp, im.write(ctx, chunk{report: imp.Report.Report, last: imp.Checkpoint, end: true,
			failure: "the uploaded file is no longer stored; upload it again"})
	}
	if err != nil {
		return imp, err
	}
	defer body.Close()
	rep := imp.Report.Report
	rep.Errors = slices.Clone(rep.Errors)
	if im.rd, err = openImportReader(body, imp, &rep); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindInvalid {
			return im.imp, im.write(ctx, chunk{report: rep, last: imp.Checkpoint, end: true, failure: problemText(e)})
		}
		return imp, err
	}
	if err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		if err := tx.Catalog().EnsureDefaults(ctx, orgID, s.now()); err != nil {
			return err
		}
		im.sources, err = tx.Catalog().Sources(ctx)
		return err
	}); err != nil {
		return imp, err
	}
	im.lookup = domain.SourceLookup(im.sources)

	rctx, stop := context.WithCancel(ctx)
	chunks := make(chan chunk, 1)
	go im.read(rctx, &rep, imp.Checkpoint, chunks)
	defer func() {
		stop()
		for range chunks { //nolint:revive // waits for the reader to let go of the file
		}
	}()
	for c := range chunks {
		if c.err != nil {
			return im.imp, c.err
		}
		if err := im.write(ctx, c); err != nil {
			return im.imp, err
		}
		if c.end {
			break
		}
	}
	return im.imp, ctx.Err()
}

// read parses the file after line checkpoint into chunks until its end, a
// failure or ctx's end; rep is the reader's report, which only this
// goroutine touches from now on.
func (im *importer) read(ctx context.Context, rep *csvimport.Report, checkpoint int, out chan<- chunk) {
	defer close(out)
	c := chunk{last: checkpoint}
	send := func() bool {
		c.report = *rep
		// The writer reads the errors listed so far while this goroutine
		// appends after them; the capacity cap keeps the two apart.
		c.report.Errors = rep.Errors[:len(rep.Errors):len(rep.Errors)]
		c.report.IgnoredColumns = slices.Clone(rep.IgnoredColumns)
		select {
		case out <- c:
			c = chunk{last: c.last}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		row, err := im.rd.Next()
		switch {
		case errors.Is(err, io.EOF):
			c.end = true
			send()
			return
		case err != nil:
			if e, ok := apperr.As(err); ok && e.Kind == apperr.KindInvalid {
				// The rest of the file cannot be read; what came before is kept.
				c.end, c.failure = true, problemText(e)
			} else {
				c.err = err
			}
			send()
			return
		}
		im.add(row, rep, &c)
		if len(c.rows) >= im.s.cfg.Uploads.ImportBatchRows {
			c.stepEnd = im.run != nil && im.run.StepOver(ctx)
			if end := c.stepEnd; !send() || end {
				return
			}
		}
	}
}

// add validates one record into the chunk, or rejects it naming each bad
// column.
func (im *importer) add(row *csvimport.Row, rep *csvimport.Report, c *chunk) {
	var f domain.FieldErrors
	r := domain.ParseImportRow(row.Line, row.Values, im.region, &f)
	if r.Source != nil {
		if _, ok := im.lookup[domain.SourceLookupKey(*r.Source)]; !ok {
			f.Add("source", "is not a lead source of the organisation (give a source's key or name)")
		}
	}
	c.last = row.Line
	if len(f) == 0 {
		c.rows = append(c.rows, r)
		return
	}
	errs := make([]csvimport.RowError, len(f))
	for i, e := range f {
		errs[i] = csvimport.RowError{Line: row.Line, Column: im.rd.Column(domain.ImportFieldIndex(e.Field)), Reason: e.Message}
	}
	rep.RejectRecord(errs...)
}

// write commits a chunk with the import's new checkpoint and report (and,
// for the last chunk, the import's end). A chunk that lost a race with a
// concurrent writer is planned again from fresh lookups.
func (im *importer) write(ctx context.Context, c chunk) error {
	var err error
	var next domain.LeadImport
	for range importRetries {
		err = im.s.store.InOrg(ctx, im.org, func(tx Tx) error {
			var err error
			next, err = im.writeChunk(ctx, tx, c)
			return err
		})
		if !errors.Is(err, ErrImportContention) {
			break
		}
	}
	if err != nil {
		return err
	}
	im.imp = next
	if !im.analysed && !c.end && next.Report.ContactsCreated > 0 {
		// More batches follow, each looking people up in an organisation
		// that just grew; the planner must know it did.
		im.analysed = true
		if err := im.s.store.InOrg(ctx, im.org, func(tx Tx) error { return tx.Imports().RefreshStatistics(ctx) }); err != nil {
			return err
		}
	}
	if im.run != nil {
		r := next.Report
		if perr := im.s.progress.SetProgress(ctx, im.run.JobID(), importProgress{
			Rows: r.Rows, Accepted: r.Accepted, Merged: r.Merged, Rejected: r.Rejected,
		}); perr != nil {
			im.s.log.WarnContext(ctx, "could not record import progress", "import_id", im.imp.ID, "error", perr)
		}
	}
	return nil
}

// writeChunk plans and writes c in tx and returns the import as it stands
// after it (write adopts it once the transaction commits).
func (im *importer) writeChunk(ctx context.Context, tx Tx, c chunk) (domain.LeadImport, error) {
	s := im.s
	cur, err := tx.Imports().GetForUpdate(ctx, im.imp.ID, Unscoped)
	if err != nil {
		return cur, err
	}
	if cur.Checkpoint != im.imp.Checkpoint || cur.Status == domain.ImportCompleted {
		return cur, fmt.Errorf("app: lead import %s advanced under another run", im.imp.ID)
	}
	now := s.now()
	next := im.imp
	next.Report.Report = c.report
	next.Report.Accepted = im.imp.Report.Accepted
	if len(c.rows) > 0 {
		b, err := im.plan(ctx, tx, c.rows, now)
		if err != nil {
			return cur, err
		}
		if err := tx.Imports().WriteBatch(ctx, im.org, b); err != nil {
			return cur, err
		}
		if err := tx.Events().Publish(ctx, im.org, b.Events...); err != nil {
			return cur, err
		}
		next.Report.Accepted += len(b.Leads)
		next.Report.Merged += len(c.rows) - len(b.Leads)
		next.Report.ContactsCreated += len(b.NewContacts)
		next.Report.ContactsUpdated += len(b.UpdatedContacts)
	}
	next.Checkpoint = c.last
	next.UpdatedAt = now
	if c.end {
		next.Status = domain.ImportCompleted
		if c.failure != "" {
			next.Status, next.Error = domain.ImportFailed, &c.failure
		}
		next.CompletedAt = &now
		if err := s.scheduleFileExpiry(ctx, tx, im.org, &next, now); err != nil {
			return cur, err
		}
		if err := im.completedEvent(ctx, tx, next); err != nil {
			return cur, err
		}
	} else if c.stepEnd && im.run != nil {
		// The next step exists exactly when this checkpoint does.
		id, err := im.run.Continue(ctx, tx)
		if err != nil {
			return cur, err
		}
		next.JobID = &id
	}
	if err := tx.Imports().Save(ctx, next); err != nil {
		return cur, err
	}
	if c.end && im.run != nil {
		if err := im.run.Complete(ctx, tx); err != nil {
			return cur, err
		}
	}
	return next, nil
}

// plan resolves the batch against the people already known (locked until
// the batch commits), applies the merge rules, assigns and scores the new
// leads and builds their events.
func (im *importer) plan(ctx context.Context, tx Tx, rows []domain.ImportRow, now time.Time) (ImportBatch, error) {
	var emails, phones []string
	for _, r := range rows {
		if r.Contact.Email != nil {
			emails = append(emails, *r.Contact.Email)
		}
		if r.Contact.Phone != nil {
			phones = append(phones, *r.Contact.Phone)
		}
	}
	known, err := tx.Imports().Matches(ctx, emails, phones)
	if err != nil {
		return ImportBatch{}, err
	}
	plan := domain.PlanImport(rows, known, im.lookup, newID, now)
	b := ImportBatch{NewContacts: plan.NewContacts, UpdatedContacts: plan.UpdatedContacts, ActorID: im.imp.CreatedBy,
		Leads: make([]ImportedLead, len(plan.Leads)), Events: contactEvents(plan.NewContacts, plan.UpdatedContacts)}
	assign, err := im.assigner(ctx, tx)
	if err != nil {
		return b, err
	}
	for i, pl := range plan.Leads {
		l := pl.Lead
		ruleID, err := assign(&l)
		if err != nil {
			return b, err
		}
		src := im.source(l.SourceID)
		score := domain.ComputeScore(scoreInput(now, l, ActivityStats{}, src))
		l.Score = &score.Value
		il := ImportedLead{Lead: l, CreatedID: newID(), RuleID: ruleID}
		state := leadEvent(LeadRow{Lead: l, SourceKey: sourceKey(src)})
		b.Events = append(b.Events, newEvent(EventLeadCreated, l.ID, state))
		if l.AssigneeID != nil {
			il.AssignedID = newID()
			b.Events = append(b.Events, newEvent(EventLeadAssigned, l.ID,
				assignedEvent{leadEventData: state, To: l.AssigneeID, RuleID: ruleID, ActorID: im.imp.CreatedBy}))
		}
		b.Leads[i] = il
	}
	return b, nil
}

// assigner returns how the batch's new leads get their assignee: by the
// organisation's assignment rules, exactly as CreateLead assigns (the same
// hook, assignByRules, per lead), else to the import's fallback assignee.
// The rules are listed once per batch; with none enabled the per-lead hook
// is skipped.
func (im *importer) assigner(ctx context.Context, tx Tx) (func(l *domain.Lead) (*string, error), error) {
	rules, err := tx.Rules().List(ctx)
	if err != nil {
		return nil, err
	}
	enabled := slices.ContainsFunc(rules, func(r domain.AssignmentRule) bool { return r.Enabled })
	return func(l *domain.Lead) (*string, error) {
		if enabled {
			userID, ruleID, err := assignByRules(ctx, tx, *l)
			if err != nil || userID != nil {
				l.AssigneeID = userID
				return ruleID, err
			}
		}
		l.AssigneeID = im.imp.FallbackAssignee
		return nil, nil
	}, nil
}

func (im *importer) source(id *string) *domain.LeadSource {
	if id == nil {
		return nil
	}
	for i := range im.sources {
		if im.sources[i].ID == *id {
			return &im.sources[i]
		}
	}
	return nil
}

// completedEvent announces the end of an import with its counts.
func (im *importer) completedEvent(ctx context.Context, tx Tx, imp domain.LeadImport) error {
	r := imp.Report
	return tx.Events().Publish(ctx, im.org, newEvent(EventImportCompleted, imp.ID, importEventData{
		ImportID: imp.ID, Status: imp.Status, Rows: r.Rows, Accepted: r.Accepted, Merged: r.Merged, Rejected: r.Rejected,
		ContactsCreated: r.ContactsCreated, ContactsUpdated: r.ContactsUpdated, ActorID: imp.CreatedBy,
	}))
}

type importEventData struct {
	ImportID        string  `json:"import_id"`
	Status          string  `json:"status"`
	Rows            int     `json:"rows"`
	Accepted        int     `json:"accepted"`
	Merged          int     `json:"merged"`
	Rejected        int     `json:"rejected"`
	ContactsCreated int     `json:"contacts_created"`
	ContactsUpdated int     `json:"contacts_updated"`
	ActorID         *string `json:"actor_id"`
}

// importProgress is the job's progress as the jobs API shows it.
type importProgress struct {
	Rows     int `json:"rows"`
	Accepted int `json:"accepted"`
	Merged   int `json:"merged"`
	Rejected int `json:"rejected"`
}

// problemText flattens an invalid-input error into the import's error text.
func problemText(e *apperr.Error) string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Message)
	}
	if len(parts) == 0 {
		return e.Message
	}
	return strings.Join(parts, "; ")
}

func (s *service) GetLeadImport(ctx context.Context, id string) (domain.LeadImport, error) {
	p, err := requireOn(ctx, PermLeadsRead, id, domain.ReasonImportNotFound, "lead import")
	if err != nil {
		return domain.LeadImport{}, err
	}
	var imp domain.LeadImport
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		scope, err := leadScope(ctx, tx, p)
		if err != nil {
			return err
		}
		imp, err = tx.Imports().Get(ctx, id, scope)
		return err
	})
	return imp, err
}

func (s *service) ListLeadImports(ctx context.Context, pr PageRequest) (Page[domain.LeadImport], error) {
	p, err := auth.CallerWith(ctx, PermLeadsRead)
	if err != nil {
		return Page[domain.LeadImport]{}, err
	}
	var page Page[domain.LeadImport]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		scope, err := leadScope(ctx, tx, p)
		if err != nil {
			return err
		}
		page, err = tx.Imports().List(ctx, scope, pr)
		return err
	})
	return page, err
}
