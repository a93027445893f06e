ALTER TABLE lead_imports DROP COLUMN IF EXISTS checkpoint_offset;
