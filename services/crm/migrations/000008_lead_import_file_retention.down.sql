ALTER TABLE lead_imports DROP COLUMN IF EXISTS file_deleted_at, DROP COLUMN IF EXISTS file_expires_at;
