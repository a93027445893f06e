package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"reos.dev/services/crm/internal/domain"
)

// ImportFileExpireJobKind is the River kind of the job that deletes an
// ended lead import's file once its retention has run out. Each job
// carries its import's organisation: there is no cross-tenant sweep.
const ImportFileExpireJobKind = "crm.lead_import_file_expire"

// scheduleFileExpiry schedules the deletion of imp's file, the retention
// after now, in tx: the transaction that ends the import, so an ended
// import always has its deletion scheduled and a rolled-back end none.
// Without a retention (zero) files are kept forever; a file already
// deleted needs no deletion.
func (s *service) scheduleFileExpiry(ctx context.Context, tx Tx, orgID string, imp *domain.LeadImport, now time.Time) error {
	if s.cfg.Uploads.ImportFileRetention <= 0 || imp.FileDeletedAt != nil {
		return nil
	}
	at := now.Add(s.cfg.Uploads.ImportFileRetention)
	if err := tx.Jobs().ScheduleImportFileExpiry(ctx, orgID, imp.ID, at); err != nil {
		return err
	}
	imp.FileExpiresAt = &at
	return nil
}

// ExpireLeadImportFile works the file expiry job of orgID's import: the
// deletion scheduled for expiresAt. The row is marked first and committed,
// then the file is deleted, then the job completes with its effect
// claimed:
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
func (s *service) ExpireLeadImportFile(ctx context.Context, orgID, importID string, expiresAt time.Time, job JobRun) error {
	if job == nil {
		return errors.New("app: ExpireLeadImportFile: nil job")
	}
	var key string
	err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		imp, err := tx.Imports().GetForUpdate(ctx, importID, Unscoped)
		if err != nil {
			return err
		}
		if !imp.FileDue(expiresAt) {
			return job.Complete(ctx, tx)
		}
		key = imp.FileKey
		return tx.Imports().MarkFileDeleted(ctx, imp.ID, s.now())
	})
	if err != nil || key == "" {
		return err
	}
	if err := s.files.Delete(ctx, key); err != nil {
		return fmt.Errorf("app: delete the file of lead import %s: %w", importID, err)
	}
	return s.store.InOrg(ctx, orgID, func(tx Tx) error {
		fresh, err := job.ClaimEffect(ctx, tx, ImportFileExpireJobKind+":"+importID)
		if err != nil {
			return err
		}
		if fresh {
			s.log.InfoContext(ctx, "lead import file deleted after its retention", "org_id", orgID, "import_id", importID)
		}
		return job.Complete(ctx, tx)
	})
}
