-- Bulk imports of properties from CSV files (POST /properties/bulk-import).
-- A row is inserted with the stored file and, for a file run as a job, in
-- the transaction that enqueues its River job. The job commits each batch
-- of loaded rows together with the counts so far, the row errors (capped,
-- as csvimport.Report caps them) and checkpoint_line, the line of the last
-- record whose outcome is committed: a retried job resumes after it, so no
-- row is loaded or reported twice.
CREATE TABLE property_imports (
    id               uuid        PRIMARY KEY,
    org_id           uuid        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    file_name        text        NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 255),
    file_key         text        NOT NULL,
    file_size        bigint      NOT NULL CHECK (file_size > 0),
    file_sha256      text        NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    mapping          jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(mapping) = 'object'),
    rows_read        integer     NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
    accepted         integer     NOT NULL DEFAULT 0 CHECK (accepted >= 0),
    rejected         integer     NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    skipped          integer     NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    errors           jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(errors) = 'array'),
    errors_truncated boolean     NOT NULL DEFAULT false,
    ignored_columns  jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(ignored_columns) = 'array'),
    checkpoint_line  integer     NOT NULL DEFAULT 0 CHECK (checkpoint_line >= 0),
    job_id           bigint,
    failure          text,
    created_by       uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    CONSTRAINT property_imports_counts CHECK (accepted + rejected + skipped <= rows_read),
    CONSTRAINT property_imports_finished CHECK ((status IN ('completed', 'failed')) = (finished_at IS NOT NULL)),
    CONSTRAINT property_imports_failed CHECK ((status = 'failed') = (failure IS NOT NULL))
);
-- The organisation's imports, newest first (keyset on created_at, id).
CREATE INDEX property_imports_org_created_idx ON property_imports (org_id, created_at DESC, id DESC);
ALTER TABLE property_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE property_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY property_imports_tenant ON property_imports
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
