package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/storage"
	"reos.dev/services/crm/internal/domain"
)

// ErrImportContention is ImportRepository.WriteBatch's retryable failure
// (the runner writes the batch again).
var ErrImportContention = csvimport.ErrContention

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
	// Note is the row's note on the lead, NoteID its id ("" without one).
	Note   *string
	NoteID string
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
	// ImportBatchRows is how many records (valid or not) one transaction
	// reads and writes (default 5000).
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

// DefaultImportFileRetention is IMPORT_FILE_RETENTION's default
// (csvimport.LoadFileRetention).
const DefaultImportFileRetention = csvimport.DefaultFileRetention

// ImportLeads receives a CSV of leads (multipart: optional mapping and
// phone_region fields, then file), checks it can be imported at all, and
// imports it: inline when the file is at most Config.ImportInlineBytes (the
// returned import has ended), else as a job (the import is queued).
func (s *service) ImportLeads(ctx context.Context, up FileUpload) (domain.LeadImport, error) {
	p, imp, err := s.receiveImport(ctx, up)
	if err != nil {
		return domain.LeadImport{}, err
	}
	if err := s.imports.CheckFile(ctx, imp.FileKey, imp.Mapping); err != nil {
		s.dropFile(ctx, imp.FileKey)
		return domain.LeadImport{}, err
	}
	if imp.FallbackAssignee, err = s.importScope(ctx, p); err != nil {
		s.dropFile(ctx, imp.FileKey)
		return domain.LeadImport{}, err
	}
	inline := imp.FileSize <= s.cfg.Uploads.ImportInlineBytes
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if inline {
			return tx.Imports().Create(ctx, p.OrgID, imp)
		}
		imp.Status = domain.ImportQueued
		id, err := tx.Jobs().EnqueueImport(ctx, p.OrgID, imp.ID)
		if err != nil {
			return err
		}
		imp.JobID = &id
		return tx.Imports().Create(ctx, p.OrgID, imp)
	})
	if err != nil {
		s.dropFile(ctx, imp.FileKey)
		return domain.LeadImport{}, err
	}
	if !inline {
		return imp, nil
	}
	done, err := s.imports.Run(ctx, p.OrgID, imp.ID, nil)
	if err != nil {
		return domain.LeadImport{}, err
	}
	return *done, nil
}

// receiveImport checks the caller and stores the uploaded file as a new
// running import's (not yet recorded).
func (s *service) receiveImport(ctx context.Context, up FileUpload) (auth.Principal, domain.LeadImport, error) {
	p, err := auth.CallerWith(ctx, PermLeadsWrite)
	if err != nil {
		return p, domain.LeadImport{}, err
	}
	now := s.now()
	imp := domain.LeadImport{State: csvimport.State{ID: newID(), OrgID: p.OrgID, Status: domain.ImportRunning, UpdatedAt: now,
		Report: csvimport.NewReport()}, PhoneRegion: s.cfg.DefaultPhoneRegion, CreatedBy: actorID(p), CreatedAt: now}
	imp.FileKey = p.OrgID + "/lead-imports/" + imp.ID + ".csv"
	rec, err := up.Receive(ctx, s.files, imp.FileKey, storage.Rules{
		MaxBytes: s.cfg.Uploads.ImportMaxBytes, Allow: importContentTypes,
		Fields: []string{importFieldMapping, importFieldRegion},
		Check: func(fields map[string]string) error {
			return parseImportOptions(fields, &imp)
		},
	})
	if err != nil {
		return p, domain.LeadImport{}, err
	}
	imp.FileName, imp.FileSize = rec.FileName, rec.Object.Size
	return p, imp, nil
}

// PreviewLeadImport is a dry run of ImportLeads (?dry_run=true): the
// mapping it would use and why, the columns it would ignore, and the
// outcome of the first csvimport.PreviewRows records, with what each would
// do beyond its lead (a source created, an agent not found). Nothing is
// recorded; the file is stored only while it is read.
func (s *service) PreviewLeadImport(ctx context.Context, up FileUpload) (csvimport.Preview, error) {
	_, imp, err := s.receiveImport(ctx, up)
	if err != nil {
		return csvimport.Preview{}, err
	}
	defer s.dropFile(ctx, imp.FileKey)
	return s.imports.Preview(ctx, &imp)
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

// RunLeadImport is a step of the lead import job of orgID's import
// (pkg/csvimport's Runner.Run): it resumes the import at its checkpoint
// and either ends it, completing the job, or hands over to the next step.
func (s *service) RunLeadImport(ctx context.Context, orgID, importID string, run ImportRun) error {
	if run == nil {
		return errors.New("app: RunLeadImport: nil run")
	}
	_, err := s.imports.Run(ctx, orgID, importID, importStep{ImportRun: run, progress: s.progress})
	return err
}

// importRunner is crm's lead imports as pkg/csvimport's runner works them.
type importRunner = csvimport.Runner[Tx, *domain.LeadImport, domain.ImportRow]

func newImportRunner(s *service) (*importRunner, error) {
	return csvimport.NewRunner[Tx, *domain.LeadImport, domain.ImportRow](leadImports{s: s}, csvimport.Config{
		Name: ImportJobKind, FileExpireKind: ImportFileExpireJobKind,
		Fields: domain.ImportFields(), Recognise: domain.ImportColumns, CheckHeader: domain.CheckImportColumns,
		Again:     "rows already imported merge",
		BatchRows: s.cfg.Uploads.ImportBatchRows, FileRetention: s.cfg.Uploads.ImportFileRetention,
		Files: s.files, Now: s.now, Logger: s.log,
	})
}

// importStep is a step of the import job as the runner needs it.
type importStep struct {
	ImportRun
	progress JobProgress
}

func (st importStep) SetProgress(ctx context.Context, progress any) error {
	return st.progress.SetProgress(ctx, st.JobID(), progress)
}

// leadImports is csvimport.Importer: where crm keeps its lead imports,
// how their rows are planned and written, and what it announces.
type leadImports struct{ s *service }

func (li leadImports) InOrg(ctx context.Context, orgID string, fn func(Tx) error) error {
	return li.s.store.InOrg(ctx, orgID, fn)
}

func (leadImports) Lock(ctx context.Context, tx Tx, id string) (*domain.LeadImport, error) {
	imp, err := tx.Imports().GetForUpdate(ctx, id, Unscoped)
	return &imp, err
}

func (leadImports) Save(ctx context.Context, tx Tx, imp *domain.LeadImport) error {
	return tx.Imports().Save(ctx, *imp)
}

func (leadImports) MarkFileDeleted(ctx context.Context, tx Tx, id string, at time.Time) error {
	return tx.Imports().MarkFileDeleted(ctx, id, at)
}

func (leadImports) ScheduleFileExpiry(ctx context.Context, tx Tx, imp *domain.LeadImport, at time.Time) error {
	return tx.Jobs().ScheduleImportFileExpiry(ctx, imp.OrgID, imp.ID, at)
}

// Begin reads the organisation's lead sources, which a dry run's notes
// name (Notes); each batch reads them again in its transaction (Write).
func (li leadImports) Begin(ctx context.Context, imp *domain.LeadImport, rd *csvimport.Reader) (csvimport.Batches[Tx, *domain.LeadImport, domain.ImportRow], error) {
	im := &importer{s: li.s, org: imp.OrgID, rd: rd, region: imp.PhoneRegion}
	// Read only: a dry run writes nothing, so an organisation that never
	// used its sources is told of the defaults Write will ensure.
	err := li.s.store.InOrg(ctx, imp.OrgID, func(tx Tx) error {
		var err error
		im.sources, err = tx.Catalog().Sources(ctx)
		return err
	})
	if len(im.sources) == 0 {
		im.sources = domain.LeadSourceDefaults()
	}
	im.lookup = domain.SourceLookup(im.sources)
	return im, err
}

// Progressed announces nothing: crm's import events are its end's.
func (leadImports) Progressed(context.Context, Tx, *domain.LeadImport) error { return nil }

// Ended announces the end a run commits (completed, or failed for good)
// with its counts; a job that gave up is told by the job's own discard,
// and the import's end is announced when its retry or replay ends it.
func (leadImports) Ended(ctx context.Context, tx Tx, imp *domain.LeadImport, how csvimport.End) error {
	if how == csvimport.GaveUp {
		return nil
	}
	r := imp.FullReport()
	return tx.Events().Publish(ctx, imp.OrgID, newEvent(EventImportCompleted, imp.ID, importEventData{
		ImportID: imp.ID, Status: imp.Status, Rows: r.Rows, Accepted: r.Accepted, Merged: r.Merged, Rejected: r.Rejected,
		ContactsCreated: r.ContactsCreated, ContactsUpdated: r.ContactsUpdated, ActorID: imp.CreatedBy,
	}))
}

func (leadImports) Progress(imp *domain.LeadImport) any {
	return importProgress{Rows: imp.Report.Rows, Accepted: imp.Report.Accepted, Merged: imp.Tally.Merged, Rejected: imp.Report.Rejected}
}

// importer is one run's planner and writer (csvimport.Batches): Plan
// parses and validates a record (the phone numbers' parsing above all) in
// the runner's reader goroutine, Write resolves the batch against the
// people already known and writes it.
type importer struct {
	s       *service
	org     string
	rd      *csvimport.Reader
	region  string
	sources []domain.LeadSource
	lookup  map[string]string
	// analysed: the statistics were refreshed after the run's first batch.
	analysed, wrote bool
}

// Plan validates one record, or rejects it naming each bad column.
func (im *importer) Plan(row *csvimport.Row) (domain.ImportRow, []csvimport.RowError) {
	var f domain.FieldErrors
	r := domain.ParseImportRow(row.Line, row.Values, im.region, &f)
	if r.Source != nil {
		// A source the organisation lacks is created by Write; one that
		// cannot be a source is refused here.
		if _, ok := domain.NewImportedSource(*r.Source); !ok {
			f.Add("source", "names no lead source of the organisation, and cannot name a new one (at most 100 characters, with a letter or digit)")
		}
	}
	if len(f) == 0 {
		return r, nil
	}
	errs := make([]csvimport.RowError, len(f))
	for i, e := range f {
		errs[i] = csvimport.RowError{Line: row.Line, Column: im.rd.Column(domain.ImportFieldIndex(e.Field)), Reason: e.Message}
	}
	return domain.ImportRow{}, errs
}

// Write plans the batch against the people known (locked until it
// commits), writes it and announces its new leads. After a first batch
// that created contacts, the statistics are refreshed first: more batches
// look people up in an organisation that just grew, and the planner must
// know it did.
func (im *importer) Write(ctx context.Context, tx Tx, imp *domain.LeadImport, rows []domain.ImportRow) (csvimport.Written, error) {
	if im.wrote && !im.analysed && imp.Tally.ContactsCreated > 0 {
		if err := tx.Imports().RefreshStatistics(ctx); err != nil {
			return csvimport.Written{}, err
		}
		im.analysed = true
	}
	now := im.s.now()
	sources, err := im.ensureSources(ctx, tx, imp, rows, now)
	if err != nil {
		return csvimport.Written{}, err
	}
	b, err := im.plan(ctx, tx, imp, rows, sources, now)
	if err != nil {
		return csvimport.Written{}, err
	}
	if err := tx.Imports().WriteBatch(ctx, im.org, b); err != nil {
		return csvimport.Written{}, err
	}
	if err := tx.Events().Publish(ctx, im.org, b.Events...); err != nil {
		return csvimport.Written{}, err
	}
	im.wrote = true
	imp.Tally.Merged += len(rows) - len(b.Leads)
	imp.Tally.ContactsCreated += len(b.NewContacts)
	imp.Tally.ContactsUpdated += len(b.UpdatedContacts)
	return csvimport.Written{Accepted: len(b.Leads)}, nil
}

// plan resolves the batch against the people already known (locked until
// the batch commits), applies the merge rules, assigns and scores the new
// leads and builds their events.
func (im *importer) plan(ctx context.Context, tx Tx, imp *domain.LeadImport, rows []domain.ImportRow, sources []domain.LeadSource, now time.Time) (ImportBatch, error) {
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
	plan := domain.PlanImport(rows, known, domain.SourceLookup(sources), newID, now)
	b := ImportBatch{NewContacts: plan.NewContacts, UpdatedContacts: plan.UpdatedContacts, ActorID: imp.CreatedBy,
		Leads: make([]ImportedLead, len(plan.Leads)), Events: contactEvents(plan.NewContacts, plan.UpdatedContacts)}
	assign, err := im.assigner(ctx, tx, imp.FallbackAssignee)
	if err != nil {
		return b, err
	}
	agents := map[string]bool{}
	for i, pl := range plan.Leads {
		l := pl.Lead
		var ruleID *string
		if pl.Agent != nil {
			ok, err := im.knownAgent(ctx, tx, agents, *pl.Agent)
			if err != nil {
				return b, err
			}
			if ok {
				l.AssigneeID = pl.Agent
			} else {
				// Kept unassigned (or the importing agent's, when it sees
				// only its own leads), and said so.
				l.AssigneeID = imp.FallbackAssignee
				imp.Tally.Warn(csvimport.RowError{Line: pl.Line, Column: im.rd.Column(domain.ColAssignedAgent),
					Reason: fmt.Sprintf("%q is no active user of the organisation (give the user's id): the lead is kept unassigned", *pl.Agent)})
			}
		} else if ruleID, err = assign(&l); err != nil {
			return b, err
		}
		src := sourceByID(sources, l.SourceID)
		score := domain.ComputeScore(scoreInput(now, l, ActivityStats{}, src))
		l.Score = &score.Value
		il := ImportedLead{Lead: l, CreatedID: newID(), RuleID: ruleID, Note: pl.Note}
		if pl.Note != nil {
			il.NoteID = newID()
		}
		state := leadEvent(LeadRow{Lead: l, SourceKey: sourceKey(src)})
		b.Events = append(b.Events, newEvent(EventLeadCreated, l.ID, state))
		if l.AssigneeID != nil {
			il.AssignedID = newID()
			b.Events = append(b.Events, newEvent(EventLeadAssigned, l.ID,
				assignedEvent{leadEventData: state, To: l.AssigneeID, RuleID: ruleID, ActorID: imp.CreatedBy}))
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
func (im *importer) assigner(ctx context.Context, tx Tx, fallback *string) (func(l *domain.Lead) (*string, error), error) {
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
		l.AssigneeID = fallback
		return nil, nil
	}, nil
}

func sourceByID(sources []domain.LeadSource, id *string) *domain.LeadSource {
	if id == nil {
		return nil
	}
	for i := range sources {
		if sources[i].ID == *id {
			return &sources[i]
		}
	}
	return nil
}

// ensureSources reads the organisation's lead sources in tx (the
// defaults ensured first) and creates those
// the batch's rows name that it lacks (NewImportedSource; a name whose
// key exists is that source), listing them in the import's tally. Reading
// them in the batch's own transaction keeps a batch written again after
// contention from naming a source its lost transaction created.
func (im *importer) ensureSources(ctx context.Context, tx Tx, imp *domain.LeadImport, rows []domain.ImportRow, now time.Time) ([]domain.LeadSource, error) {
	if err := tx.Catalog().EnsureDefaults(ctx, im.org, now); err != nil {
		return nil, err
	}
	sources, err := tx.Catalog().Sources(ctx)
	if err != nil {
		return nil, err
	}
	lookup := domain.SourceLookup(sources)
	for _, r := range rows {
		if r.Source == nil {
			continue
		}
		if _, ok := lookup[domain.SourceLookupKey(*r.Source)]; ok {
			continue
		}
		src, ok := domain.NewImportedSource(*r.Source)
		if !ok { // unreachable: Plan refused the row
			continue
		}
		if id, ok := lookup[src.Key]; ok {
			lookup[domain.SourceLookupKey(*r.Source)] = id
			continue
		}
		src.ID = newID()
		if err := tx.Catalog().CreateSource(ctx, im.org, src, now); err != nil {
			return nil, err
		}
		sources = append(sources, src)
		lookup[domain.SourceLookupKey(src.Name)], lookup[src.Key] = src.ID, src.ID
		imp.Tally.SourcesCreated = append(imp.Tally.SourcesCreated, src.Name)
	}
	return sources, nil
}

// knownAgent reports whether an assigned-agent cell names an active user
// of the organisation (by id: crm's read model of identity knows no
// names or emails), remembering the answers of the batch in seen.
func (im *importer) knownAgent(ctx context.Context, tx Tx, seen map[string]bool, cell string) (bool, error) {
	if ok, done := seen[cell]; done {
		return ok, nil
	}
	ok := false
	if id, err := uuid.Parse(cell); err == nil && id.String() == strings.ToLower(cell) {
		if ok, err = tx.Users().ActiveUser(ctx, cell); err != nil {
			return false, err
		}
	}
	seen[cell] = ok
	return ok, nil
}

// Notes tell a dry run what a row would do beyond the lead: a lead source
// created, an agent that is no user id.
func (im *importer) Notes(r domain.ImportRow) []string {
	var notes []string
	if r.Source != nil {
		if _, ok := im.lookup[domain.SourceLookupKey(*r.Source)]; !ok {
			notes = append(notes, fmt.Sprintf("lead source %q would be created", strings.TrimSpace(*r.Source)))
		}
	}
	if r.Agent != nil {
		if _, err := uuid.Parse(*r.Agent); err != nil {
			notes = append(notes, fmt.Sprintf("assigned agent %q is no user id: the lead would be kept unassigned", *r.Agent))
		}
	}
	if r.Note != nil {
		notes = append(notes, "a note would be added to the lead")
	}
	return notes
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
