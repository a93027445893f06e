ALTER TABLE property_imports DROP COLUMN IF EXISTS file_deleted_at, DROP COLUMN IF EXISTS file_expires_at;
