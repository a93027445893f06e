package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"

	"reos.dev/pkg/csvimport"
	"reos.dev/pkg/jobs"
	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// ImportArgs are the arguments of the lead import job
// (app.Service.RunLeadImport).
type ImportArgs struct {
	OrgID    uuid.UUID `json:"org_id"`
	ImportID uuid.UUID `json:"import_id"`
}

// Kind is the job's River kind.
func (ImportArgs) Kind() string { return app.ImportJobKind }

// Org is the organisation the job works for.
func (a ImportArgs) Org() uuid.UUID { return a.OrgID }

// InsertOpts put imports on the default queue: someone waits for the
// report, but a large file must not hold up the high-priority jobs.
func (ImportArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueDefault} }

// ImportFileExpireArgs are the arguments of the job that deletes an ended
// lead import's file (app.Service.ExpireLeadImportFile). ExpiresAt names
// the deletion the import's end scheduled (its file_expires_at).
type ImportFileExpireArgs struct {
	OrgID     uuid.UUID `json:"org_id"`
	ImportID  uuid.UUID `json:"import_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Kind is the job's River kind.
func (ImportFileExpireArgs) Kind() string { return app.ImportFileExpireJobKind }

// Org is the organisation the job works for.
func (a ImportFileExpireArgs) Org() uuid.UUID { return a.OrgID }

// InsertOpts put the deletion on the low-priority queue: nobody waits for it.
func (ImportFileExpireArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueLow}
}

// NewImportRun returns the app.ImportRun of a lead import job.
func NewImportRun(queue *jobs.Queue, job *river.Job[ImportArgs]) app.ImportRun {
	return jobRun[ImportArgs]{queue: queue, job: job}
}

// JobID is the River job's id.
func (j jobRun[T]) JobID() int64 { return j.job.ID }

// LastAttempt reports whether a failure of this attempt discards the job.
func (j jobRun[T]) LastAttempt() bool { return j.job.Attempt >= j.job.MaxAttempts }

// StepOver reports whether the attempt has worked its step's share
// (jobs.StepOver).
func (j jobRun[T]) StepOver(ctx context.Context) bool { return jobs.StepOver(ctx) }

// Continue enqueues the job's next step (same arguments) in tx and
// completes this one (jobs.Continue), returning the next step's id.
func (j jobRun[T]) Continue(ctx context.Context, tx app.Tx) (int64, error) {
	r, ok := tx.(*repos)
	if !ok {
		return 0, errForeignTx
	}
	return jobs.Continue(ctx, j.queue, r.tx, j.job, j.job.Args)
}

const importColumns = `id, status, file_key, file_name, file_size, mapping, phone_region, job_id, fallback_assignee_id,
checkpoint_line, report, error, created_by, created_at, updated_at, completed_at, file_expires_at, file_deleted_at,
checkpoint_offset, org_id`

const (
	sqlInsertImport = `INSERT INTO crm.lead_imports (id, org_id, status, file_key, file_name, file_size, mapping, phone_region,
job_id, fallback_assignee_id, checkpoint_line, report, error, created_by, created_at, updated_at, completed_at, file_expires_at,
checkpoint_offset)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`
	// sqlListImports is completed by ListImports with the scope and the
	// keyset.
	sqlListImports = `SELECT ` + importColumns + ` FROM crm.lead_imports i WHERE true`
	// file_deleted_at is not among the saved columns: only
	// sqlImportFileDeleted sets it (once), so no run holding an older copy
	// of the import can clear it.
	// job_id moves on to the step of a job import that works it.
	sqlSaveImport = `UPDATE crm.lead_imports SET status = $2, checkpoint_line = $3, report = $4, error = $5,
updated_at = $6, completed_at = $7, file_expires_at = $8, job_id = $9, checkpoint_offset = $10 WHERE id = $1`
	sqlImportFileDeleted = `UPDATE crm.lead_imports SET file_deleted_at = $2 WHERE id = $1 AND file_deleted_at IS NULL`

	// The people a batch may merge into, each with whether an active lead
	// exists for it, locked until the batch commits. Every key is looked up
	// on its own (LATERAL, one index probe): an organisation that an import
	// is growing has stale statistics, and with `= ANY(array)` the planner,
	// believing the organisation small, scans all of its contacts and leads
	// per batch (measured: 36 s for one batch at 30k contacts). A contact
	// found by both keys comes twice; two imports locking the same people
	// in different orders deadlock, and the loser's batch is retried.
	sqlImportMatches = `SELECT m.* FROM unnest($1::text[]) AS k(v), LATERAL (` + sqlImportMatch + `c.email = k.v FOR UPDATE OF c) m
UNION ALL
SELECT m.* FROM unnest($2::text[]) AS k(v), LATERAL (` + sqlImportMatch + `c.phone = k.v FOR UPDATE OF c) m`
	sqlRefreshImportStatistics = `SELECT crm.refresh_import_statistics()`
	sqlImportMatch             = `SELECT ` + contactColumns + `,
  EXISTS (SELECT 1 FROM crm.leads l WHERE l.contact_id = c.id AND l.archived_at IS NULL) AS active
  FROM crm.contacts c WHERE `

	// A batch is written by one statement: its rows travel as arrays (one
	// per column, one round trip) and data-modifying CTEs move them into the
	// policed tables, where WITH CHECK applies as to any insert; the foreign
	// keys are checked at the statement's end, when every part is written.
	// (COPY, the fastest path into a table, cannot write a table with
	// row-level security, and a temporary staging table costs a write and a
	// read more.)
	sqlImportBatch = `WITH contacts_in AS (
  SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::boolean[])
    AS c(id, first_name, last_name, email, phone, created_at, updated_at, is_new)
), new_contacts AS (
  INSERT INTO crm.contacts (id, org_id, first_name, last_name, email, phone, created_by, created_at, updated_at)
  SELECT id, $1::uuid, first_name, last_name, email, phone, $24::uuid, created_at, updated_at FROM contacts_in WHERE is_new
), filled_contacts AS (
  UPDATE crm.contacts c SET first_name = s.first_name, last_name = s.last_name, email = s.email, phone = s.phone,
    updated_at = s.updated_at
  FROM contacts_in s WHERE NOT s.is_new AND c.id = s.id
), leads_in AS (
  SELECT * FROM unnest($10::uuid[], $11::uuid[], $12::uuid[], $13::text[], $14::uuid[], $15::bigint[], $16::bigint[],
    $17::bigint[], $18::text[], $19::integer[], $20::uuid[], $21::uuid[], $22::uuid[], $23::timestamptz[], $25::text[],
    $26::uuid[], $27::text[])
    AS l(id, contact_id, source_id, status, assignee_id, budget_min_cents, budget_max_cents, target_price_cents, postal_code,
      score, created_id, assigned_id, rule_id, created_at, tags, note_id, note)
), new_leads AS (
  INSERT INTO crm.leads (id, org_id, contact_id, source_id, status, assignee_id, budget_min_cents, budget_max_cents,
    target_price_cents, postal_code, property_ids, tags, score, created_at, updated_at)
  SELECT id, $1::uuid, contact_id, source_id, status, assignee_id, budget_min_cents, budget_max_cents, target_price_cents,
    postal_code, '{}', CASE WHEN tags = '' THEN '{}'::text[] ELSE string_to_array(tags, E'\x1f') END, score, created_at, created_at
  FROM leads_in
), new_notes AS (
  INSERT INTO crm.lead_notes (id, org_id, lead_id, body, author_id, created_at)
  SELECT note_id, $1::uuid, id, note, $24::uuid, created_at FROM leads_in WHERE note_id IS NOT NULL
)
INSERT INTO crm.lead_changes (id, org_id, lead_id, kind, from_value, to_value, actor_id, occurred_at, rule_id)
SELECT created_id, $1::uuid, id, 'created', NULL, status, $24::uuid, created_at, NULL FROM leads_in
UNION ALL
SELECT assigned_id, $1::uuid, id, 'assigned', NULL, assignee_id::text, $24::uuid, created_at, rule_id FROM leads_in
WHERE assigned_id IS NOT NULL`
)

// sqlGetImport looks an import up by id ($1) in a scope ($2).
var (
	sqlGetImport       = scopedByID(`SELECT `+importColumns+` FROM crm.lead_imports i WHERE i.id = $1`, sqlImportVisible, "$2")
	sqlGetImportLocked = sqlGetImport + ` FOR UPDATE`
)

func scanImport(row pgx.Row) (domain.LeadImport, error) {
	var imp domain.LeadImport
	var mapping, report []byte
	err := row.Scan(&imp.ID, &imp.Status, &imp.FileKey, &imp.FileName, &imp.FileSize, &mapping, &imp.PhoneRegion, &imp.JobID,
		&imp.FallbackAssignee, &imp.Checkpoint.Line, &report, &imp.Failure, &imp.CreatedBy, &imp.CreatedAt, &imp.UpdatedAt,
		&imp.FinishedAt, &imp.FileExpiresAt, &imp.FileDeletedAt, &imp.Checkpoint.Offset, &imp.OrgID)
	if err != nil {
		return imp, err
	}
	if err := json.Unmarshal(mapping, &imp.Mapping); err != nil {
		return imp, fmt.Errorf("lead import %s mapping: %w", imp.ID, err)
	}
	var full domain.ImportReport
	if err := json.Unmarshal(report, &full); err != nil {
		return imp, fmt.Errorf("lead import %s report: %w", imp.ID, err)
	}
	imp.Report, imp.Tally = full.Report, full.ImportTally
	return imp, nil
}

func (r importRepo) Create(ctx context.Context, orgID string, imp domain.LeadImport) error {
	mapping, report, err := importJSON(imp)
	if err != nil {
		return err
	}
	_, err = r.tx.Exec(ctx, sqlInsertImport, imp.ID, orgID, imp.Status, imp.FileKey, imp.FileName, imp.FileSize, mapping,
		imp.PhoneRegion, imp.JobID, imp.FallbackAssignee, imp.Checkpoint.Line, report, imp.Failure, imp.CreatedBy, imp.CreatedAt,
		imp.UpdatedAt, imp.FinishedAt, imp.FileExpiresAt, imp.Checkpoint.Offset)
	if err != nil {
		return fmt.Errorf("insert lead import: %w", err)
	}
	return nil
}

func importJSON(imp domain.LeadImport) (mapping, report []byte, err error) {
	m := imp.Mapping
	if m == nil {
		m = map[string]string{}
	}
	if mapping, err = json.Marshal(m); err != nil {
		return nil, nil, err
	}
	report, err = json.Marshal(imp.FullReport())
	return mapping, report, err
}

func (r importRepo) Get(ctx context.Context, id string, scope app.Scope) (domain.LeadImport, error) {
	return r.get(ctx, sqlGetImport, id, scope)
}

func (r importRepo) GetForUpdate(ctx context.Context, id string, scope app.Scope) (domain.LeadImport, error) {
	return r.get(ctx, sqlGetImportLocked, id, scope)
}

func (r importRepo) get(ctx context.Context, q, id string, scope app.Scope) (domain.LeadImport, error) {
	imp, err := scanImport(r.tx.QueryRow(ctx, q, id, scopeArg(scope)))
	return imp, notFound(err, domain.ReasonImportNotFound, "lead import")
}

func (r importRepo) List(ctx context.Context, scope app.Scope, p app.PageRequest) (app.Page[domain.LeadImport], error) {
	page, err := newestFirst("i").Page(p.Cursor, p.Limit)
	if err != nil {
		return app.Page[domain.LeadImport]{}, err
	}
	q := &query{}
	q.sb.WriteString(sqlListImports)
	q.whereVisible(sqlImportVisible, scope)
	q.seek(page)
	rows, err := r.tx.Query(ctx, q.sb.String(), q.args...)
	if err != nil {
		return app.Page[domain.LeadImport]{}, fmt.Errorf("list lead imports: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (domain.LeadImport, error) { return scanImport(row) },
		func(i domain.LeadImport) (any, string) { return i.CreatedAt, i.ID })
	if err != nil {
		return app.Page[domain.LeadImport]{}, fmt.Errorf("list lead imports: %w", err)
	}
	return out, nil
}

func (r importRepo) Save(ctx context.Context, imp domain.LeadImport) error {
	_, report, err := importJSON(imp)
	if err != nil {
		return err
	}
	tag, err := r.tx.Exec(ctx, sqlSaveImport, imp.ID, imp.Status, imp.Checkpoint.Line, report, imp.Failure, imp.UpdatedAt,
		imp.FinishedAt, imp.FileExpiresAt, imp.JobID, imp.Checkpoint.Offset)
	if err != nil {
		return fmt.Errorf("save lead import: %w", err)
	}
	return expectOne(tag, domain.ReasonImportNotFound, "lead import")
}

func (r importRepo) MarkFileDeleted(ctx context.Context, id string, at time.Time) error {
	if _, err := r.tx.Exec(ctx, sqlImportFileDeleted, id, at); err != nil {
		return fmt.Errorf("mark lead import file deleted: %w", err)
	}
	return nil
}

func (r importRepo) Matches(ctx context.Context, emails, phones []string) ([]domain.ImportMatch, error) {
	rows, err := r.tx.Query(ctx, sqlImportMatches, emails, phones)
	if err != nil {
		return nil, fmt.Errorf("import matches: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.ImportMatch, error) {
		var m domain.ImportMatch
		err := row.Scan(append(contactFields(&m.Contact), &m.ActiveLead)...)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("import matches: %w", err)
	}
	seen := make(map[string]bool, len(found))
	out := found[:0]
	for _, m := range found {
		if !seen[m.Contact.ID] {
			seen[m.Contact.ID] = true
			out = append(out, m)
		}
	}
	return out, nil
}

func (r importRepo) WriteBatch(ctx context.Context, orgID string, b app.ImportBatch) error {
	var c importContacts
	for _, set := range []struct {
		cs    []domain.Contact
		isNew bool
	}{{b.NewContacts, true}, {b.UpdatedContacts, false}} {
		for _, x := range set.cs {
			c.add(x, set.isNew)
		}
	}
	var l importLeads
	for _, il := range b.Leads {
		l.add(il)
	}
	_, err := r.tx.Exec(ctx, sqlImportBatch, orgID,
		c.id, c.firstName, c.lastName, c.email, c.phone, c.createdAt, c.updatedAt, c.isNew,
		l.id, l.contactID, l.sourceID, l.status, l.assigneeID, l.budgetMin, l.budgetMax, l.targetPrice, l.postalCode,
		l.score, l.createdID, l.assignedID, l.ruleID, l.createdAt, b.ActorID, l.tags, l.noteID, l.note)
	if err != nil {
		if contention(err) {
			return fmt.Errorf("%w: %w", csvimport.ErrContention, err)
		}
		return fmt.Errorf("import batch: %w", err)
	}
	return nil
}

// importContacts and importLeads are a batch's rows as column arrays, the
// parameters of sqlImportBatch.
type importContacts struct {
	id, firstName, lastName []string
	email, phone            []*string
	createdAt, updatedAt    []time.Time
	isNew                   []bool
}

func (c *importContacts) add(x domain.Contact, isNew bool) {
	c.id, c.firstName, c.lastName = append(c.id, x.ID), append(c.firstName, x.FirstName), append(c.lastName, x.LastName)
	c.email, c.phone = append(c.email, x.Email), append(c.phone, x.Phone)
	c.createdAt, c.updatedAt, c.isNew = append(c.createdAt, x.CreatedAt), append(c.updatedAt, x.UpdatedAt), append(c.isNew, isNew)
}

type importLeads struct {
	id, contactID, status, createdID             []string
	sourceID, assigneeID, postalCode, assignedID []*string
	ruleID                                       []*string
	budgetMin, budgetMax, targetPrice            []*int64
	score                                        []int
	createdAt                                    []time.Time
	// tags: each lead's tags joined by the unit separator (U+001F), which
	// no tag holds (domain.NormalizeTag refuses control characters).
	tags         []string
	noteID, note []*string
}

func (c *importLeads) add(il app.ImportedLead) {
	x := il.Lead
	var assigned *string
	if il.AssignedID != "" {
		assigned = &il.AssignedID
	}
	c.id, c.contactID, c.status = append(c.id, x.ID), append(c.contactID, x.ContactID), append(c.status, x.Status)
	c.sourceID, c.assigneeID, c.postalCode = append(c.sourceID, x.SourceID), append(c.assigneeID, x.AssigneeID), append(c.postalCode, x.PostalCode)
	c.budgetMin, c.budgetMax, c.targetPrice = append(c.budgetMin, x.BudgetMinCents), append(c.budgetMax, x.BudgetMaxCents), append(c.targetPrice, x.TargetPriceCents)
	c.score = append(c.score, *x.Score)
	c.createdID, c.assignedID, c.ruleID = append(c.createdID, il.CreatedID), append(c.assignedID, assigned), append(c.ruleID, il.RuleID)
	c.createdAt = append(c.createdAt, x.CreatedAt)
	c.tags = append(c.tags, strings.Join(x.Tags, "\x1f"))
	var noteID *string
	if il.NoteID != "" {
		noteID = &il.NoteID
	}
	c.noteID, c.note = append(c.noteID, noteID), append(c.note, il.Note)
}

func (r importRepo) RefreshStatistics(ctx context.Context) error {
	if _, err := r.tx.Exec(ctx, sqlRefreshImportStatistics); err != nil {
		return fmt.Errorf("refresh import statistics: %w", err)
	}
	return nil
}

// contention reports a failure a concurrent writer caused: a person
// inserted meanwhile (unique email or phone), or a deadlock.
func contention(err error) bool {
	if _, ok := postgres.IsUniqueViolation(err); ok {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}
