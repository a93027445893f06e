package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/jobs"
	"reos.dev/services/property/internal/domain"
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

// scheduleFileExpiry schedules the deletion of imp's file, the retention
// after now, in tx: the transaction that ends the import, so an ended
// import always has its deletion scheduled and a rolled-back end none.
// Without a retention (zero) files are kept forever; a file already
// deleted needs no deletion.
func (s *service) scheduleFileExpiry(ctx context.Context, tx Tx, imp *domain.Import, now time.Time) error {
	if s.imports.FileRetention <= 0 || imp.FileDeletedAt != nil {
		return nil
	}
	org, err := uuid.Parse(imp.OrgID)
	if err != nil {
		return fmt.Errorf("app: import %s org %q: %w", imp.ID, imp.OrgID, err)
	}
	at := now.Add(s.imports.FileRetention)
	if _, err := tx.Jobs().Schedule(ctx, ImportFileExpireJob{OrgID: org, ImportID: imp.ID, ExpiresAt: at}, at); err != nil {
		return err
	}
	imp.FileExpiresAt = &at
	return nil
}

// ExpireImportFile works the file expiry job. The row is marked first and
// committed, then the file is deleted, then the job completes with its
// effect claimed:
//   - a row saying "deleted" while the file is still there is harmless:
//     the job has not completed, so its next attempt (after a failed
//     delete or a crash) deletes it — Delete is idempotent. The reverse, a
//     file gone while the row still offers it, would make a resumed import
//     fail on a missing file instead of saying why;
//   - nothing can read the file after the mark: only a resumed import
//     reads an ended import's file, and it fails at once, for good, on a
//     row that says the file is gone;
//   - the effect key and the completion commit together, as every job's
//     do, so a retried or replayed job records nothing twice (the mark
//     keeps its first time; the delete finds nothing).
//
// A deletion the import has outlived (resumed since, or not ended) only
// completes the job.
func (s *service) ExpireImportFile(ctx context.Context, job ImportFileExpireJob, run JobRun) error {
	org := job.OrgID.String()
	var key string
	err := s.store.InOrg(ctx, org, func(tx Tx) error {
		imp, err := tx.Imports().GetForUpdate(ctx, job.ImportID)
		if err != nil {
			return err
		}
		if !imp.FileDue(job.ExpiresAt) {
			return tx.Jobs().Complete(ctx, run)
		}
		key = imp.FileKey
		return tx.Imports().MarkFileDeleted(ctx, imp.ID, s.now())
	})
	if err != nil || key == "" {
		return err
	}
	if err := s.media.Files.Delete(ctx, key); err != nil {
		return fmt.Errorf("app: delete the file of import %s: %w", job.ImportID, err)
	}
	return s.store.InOrg(ctx, org, func(tx Tx) error {
		fresh, err := tx.Jobs().ClaimEffect(ctx, run, ImportFileExpireJobKind+":"+job.ImportID)
		if err != nil {
			return err
		}
		if fresh {
			s.log.InfoContext(ctx, "import file deleted after its retention", "org_id", org, "import_id", job.ImportID)
		}
		return tx.Jobs().Complete(ctx, run)
	})
}
