package app

import (
	"context"
	"errors"
	"time"
)

// ImportFileExpireJobKind is the River kind of the job that deletes an
// ended lead import's file once its retention has run out. Each job
// carries its import's organisation: there is no cross-tenant sweep.
const ImportFileExpireJobKind = "crm.lead_import_file_expire"

// ExpireLeadImportFile works the file expiry job of orgID's import, the
// deletion scheduled for expiresAt (pkg/csvimport's Runner.ExpireFile).
func (s *service) ExpireLeadImportFile(ctx context.Context, orgID, importID string, expiresAt time.Time, job JobRun) error {
	if job == nil {
		return errors.New("app: ExpireLeadImportFile: nil job")
	}
	return s.imports.ExpireFile(ctx, orgID, importID, expiresAt, job)
}
