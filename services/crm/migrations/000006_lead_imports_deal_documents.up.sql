-- Lead imports (one CSV upload each: its progress, checkpoint and report)
-- and deal documents (files attached to deals; the bytes live in file
-- storage under file_key). Tenant tables like the others.

CREATE TABLE lead_imports (
    id                   uuid        PRIMARY KEY,
    org_id               uuid        NOT NULL,
    status               text        NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    file_key             text        NOT NULL,
    file_name            text        NOT NULL,
    file_size            bigint      NOT NULL CHECK (file_size >= 0),
    -- The request's column mapping ({"File column": "field"}).
    mapping              jsonb       NOT NULL DEFAULT '{}',
    phone_region         text        NOT NULL,
    -- The job working a large import; NULL when imported in the request.
    job_id               bigint,
    -- Who gets the leads no assignment rule assigns (an agent limited to
    -- its own leads imports for itself); NULL: nobody.
    fallback_assignee_id uuid,
    -- The last file line whose outcome is committed, with the report as it
    -- stood then: a retried job resumes after it.
    checkpoint_line      integer     NOT NULL DEFAULT 0 CHECK (checkpoint_line >= 0),
    report               jsonb       NOT NULL,
    error                text,
    created_by           uuid,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    completed_at         timestamptz,
    CONSTRAINT lead_imports_org_id_key UNIQUE (org_id, id)
);
CREATE INDEX lead_imports_org_created_idx ON lead_imports (org_id, created_at, id);

CREATE TABLE deal_documents (
    id           uuid        PRIMARY KEY,
    org_id       uuid        NOT NULL,
    deal_id      uuid        NOT NULL,
    title        text        NOT NULL CHECK (title <> '' AND char_length(title) <= 200),
    file_key     text        NOT NULL UNIQUE,
    file_name    text        NOT NULL,
    -- As sniffed from the bytes at upload.
    content_type text        NOT NULL,
    size_bytes   bigint      NOT NULL CHECK (size_bytes >= 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by  uuid,
    created_at   timestamptz NOT NULL,
    FOREIGN KEY (org_id, deal_id) REFERENCES deals (org_id, id)
);
CREATE INDEX deal_documents_deal_idx ON deal_documents (deal_id, created_at DESC, id DESC);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['lead_imports', 'deal_documents']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;

-- Whether a person has an active lead, as a lead import asks it for every
-- person it meets. Partial, so the probe needs no filter: while an import is
-- growing an organisation its statistics are stale and every org_id-led
-- index looks equally cheap; this one is strictly the cheapest, so the
-- planner keeps choosing it (it chose the assignee index, reading the whole
-- organisation's leads per person, before this index existed).
CREATE INDEX leads_active_contact_idx ON leads (org_id, contact_id) WHERE archived_at IS NULL;

-- A lead import grows one organisation by thousands of contacts and leads
-- per transaction, faster than autovacuum re-analyses the tables. With
-- statistics that still show the organisation empty, every org_id-led index
-- looks as cheap as the right one, and the planner was seen scanning the
-- whole organisation for each lookup (minutes per batch at 200k rows). An
-- import therefore refreshes the org_id statistics once, after its first
-- batch, through this function: ANALYZE needs the tables' owner.
CREATE FUNCTION refresh_import_statistics() RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ ANALYZE crm.contacts (org_id); ANALYZE crm.leads (org_id) $$;
REVOKE EXECUTE ON FUNCTION refresh_import_statistics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refresh_import_statistics() TO crm_app;
