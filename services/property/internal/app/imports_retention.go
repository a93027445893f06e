package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/jobs"
)

// ImportFileExpireJobKind is the River kind of the job that deletes an
// ended import's file once its retention has run out.
const ImportFileExpireJobKind = "property.import_file_expire"

// ImportFileExpireJob is the file expiry job's arguments. ExpiresAt names
// the deletion the import's end scheduled (the import's file_expires_at),
// so a deletion an import has since outlived — it was resumed, and its new
// end scheduled another — does nothing. Every organisation's imports
// schedule their own jobs: there is no cross-tenant sweep.
type ImportFileExpireJob struct {
	OrgID     uuid.UUID `json:"org_id"`
	ImportID  string    `json:"import_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Kind is the job's kind.
func (ImportFileExpireJob) Kind() string { return ImportFileExpireJobKind }

// Org is the organisation the job works for.
func (j ImportFileExpireJob) Org() uuid.UUID { return j.OrgID }

// Queue is the queue the job runs on: nobody waits for a deletion.
func (ImportFileExpireJob) Queue() string { return jobs.QueueLow }

// ExpireImportFile works the file expiry job (pkg/csvimport's
// Runner.ExpireFile).
func (s *service) ExpireImportFile(ctx context.Context, job ImportFileExpireJob, run JobRun) error {
	return s.runner.ExpireFile(ctx, job.OrgID.String(), job.ImportID, job.ExpiresAt, jobStep{run: run, store: s.store})
}
