-- The byte offset of an import's checkpoint: where the record after
-- checkpoint_line begins in the file. An import runs as a chain of short
-- jobs (pkg/jobs steps), and each step resumes its file there
-- (csvimport.Options.Resume) instead of parsing everything before the
-- checkpoint again. 0 for an import that has not committed a batch, and
-- for one checkpointed before this column (resumed by line, as then).
ALTER TABLE property_imports
    ADD COLUMN checkpoint_offset bigint NOT NULL DEFAULT 0 CHECK (checkpoint_offset >= 0);
