-- The byte offset of a lead import's checkpoint: where the record after
-- checkpoint_line begins in the file. A job import runs as a chain of
-- short steps (pkg/jobs), and each step resumes its file there
-- (pkg/csvimport's runner seeks) instead of parsing everything before the
-- checkpoint again. 0 for an import that has not committed a batch, and
-- for one checkpointed before this column (resumed by line, as then).
ALTER TABLE lead_imports
    ADD COLUMN checkpoint_offset bigint NOT NULL DEFAULT 0 CHECK (checkpoint_offset >= 0);
