ALTER TABLE property_imports DROP COLUMN IF EXISTS checkpoint_offset;
