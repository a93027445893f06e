-- Import file retention (IMPORT_FILE_RETENTION). The transaction that ends
-- an import (completed, or failed — for good or after its job's last
-- attempt) schedules the River job property.import_file_expire for
-- file_expires_at; the job deletes the stored file and records
-- file_deleted_at. Resuming an import clears file_expires_at (the deletion
-- it had scheduled then does nothing) and its next end schedules another.
-- Only an ended import has a scheduled or deleted file: a running import
-- is reading it.
ALTER TABLE property_imports
    ADD COLUMN file_expires_at timestamptz,
    ADD COLUMN file_deleted_at timestamptz,
    ADD CONSTRAINT property_imports_file_expiry CHECK (file_expires_at IS NULL OR status IN ('completed', 'failed')),
    ADD CONSTRAINT property_imports_file_deleted CHECK (file_deleted_at IS NULL OR status IN ('completed', 'failed'));
