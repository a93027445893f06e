-- CRM: contacts, lead sources, leads with their activities, notes, changes
-- and score history; deal stages, deals and their stage history.
-- Every table is a tenant table: org_id, ENABLE + FORCE row-level security
-- on app.org_id, which postgres.InOrgTx sets per transaction. NULLIF: on a
-- pooled connection where an earlier transaction set app.org_id locally,
-- current_setting returns '' afterwards, which must match nothing.
-- Cross-table references are composite (org_id, id) foreign keys so a row can
-- never point into another organisation.

CREATE TABLE contacts (
    id         uuid        PRIMARY KEY,
    org_id     uuid        NOT NULL,
    first_name text        NOT NULL DEFAULT '' CHECK (char_length(first_name) <= 100),
    last_name  text        NOT NULL DEFAULT '' CHECK (char_length(last_name) <= 100),
    -- Normalised by the service (trimmed, lower case); NULL when unknown.
    email      text        CHECK (email <> '' AND octet_length(email) <= 254),
    -- E.164; NULL when unknown.
    phone      text        CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    search     tsvector    GENERATED ALWAYS AS (
        to_tsvector('simple', first_name || ' ' || last_name || ' ' || coalesce(email, '') || ' ' || replace(coalesce(email, ''), '@', ' '))
    ) STORED,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT contacts_org_id_key UNIQUE (org_id, id)
);
-- People are deduplicated per organisation by normalised email and by phone.
CREATE UNIQUE INDEX contacts_org_email_key ON contacts (org_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX contacts_org_phone_key ON contacts (org_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX contacts_org_created_idx ON contacts (org_id, created_at, id);
CREATE INDEX contacts_search_idx ON contacts USING gin (search);

CREATE TABLE lead_sources (
    id         uuid        PRIMARY KEY,
    org_id     uuid        NOT NULL,
    key        text        NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,49}$'),
    name       text        NOT NULL CHECK (name <> '' AND char_length(name) <= 100),
    -- Source quality for scoring, 0..100.
    weight     integer     NOT NULL CHECK (weight BETWEEN 0 AND 100),
    created_at timestamptz NOT NULL,
    CONSTRAINT lead_sources_org_id_key UNIQUE (org_id, id),
    CONSTRAINT lead_sources_org_key_key UNIQUE (org_id, key)
);

CREATE TABLE leads (
    id                 uuid        PRIMARY KEY,
    org_id             uuid        NOT NULL,
    contact_id         uuid        NOT NULL,
    source_id          uuid,
    status             text        NOT NULL CHECK (status IN ('new', 'contacted', 'qualified', 'nurturing', 'unqualified', 'converted')),
    assignee_id        uuid,
    budget_min_cents   bigint      CHECK (budget_min_cents >= 0),
    budget_max_cents   bigint      CHECK (budget_max_cents >= 0),
    target_price_cents bigint      CHECK (target_price_cents >= 0),
    -- Properties of interest: ids in the property service, not validated in
    -- this slice (see the service documentation).
    property_ids       uuid[]      NOT NULL DEFAULT '{}',
    score              integer     CHECK (score BETWEEN 0 AND 100),
    last_activity_at   timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    archived_at        timestamptz,
    CONSTRAINT leads_org_id_key UNIQUE (org_id, id),
    CONSTRAINT leads_budget_range CHECK (budget_min_cents IS NULL OR budget_max_cents IS NULL OR budget_min_cents <= budget_max_cents),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id),
    FOREIGN KEY (org_id, source_id) REFERENCES lead_sources (org_id, id)
);
CREATE INDEX leads_org_created_idx ON leads (org_id, created_at, id);
CREATE INDEX leads_org_updated_idx ON leads (org_id, updated_at, id);
CREATE INDEX leads_org_score_idx ON leads (org_id, (coalesce(score, -1)), id);
CREATE INDEX leads_contact_idx ON leads (org_id, contact_id);
CREATE INDEX leads_assignee_idx ON leads (org_id, assignee_id);

CREATE TABLE lead_activities (
    id          uuid        PRIMARY KEY,
    org_id      uuid        NOT NULL,
    lead_id     uuid        NOT NULL,
    type        text        NOT NULL CHECK (type IN ('call', 'email', 'sms', 'meeting', 'showing', 'note', 'web_visit', 'other')),
    direction   text        CHECK (direction IN ('in', 'out')),
    outcome     text        NOT NULL DEFAULT '' CHECK (char_length(outcome) <= 200),
    body        text        NOT NULL DEFAULT '' CHECK (char_length(body) <= 5000),
    occurred_at timestamptz NOT NULL,
    actor_id    uuid,
    created_at  timestamptz NOT NULL,
    FOREIGN KEY (org_id, lead_id) REFERENCES leads (org_id, id)
);
CREATE INDEX lead_activities_lead_idx ON lead_activities (lead_id, occurred_at DESC, id DESC);

CREATE TABLE lead_notes (
    id         uuid        PRIMARY KEY,
    org_id     uuid        NOT NULL,
    lead_id    uuid        NOT NULL,
    body       text        NOT NULL CHECK (body <> '' AND char_length(body) <= 10000),
    author_id  uuid,
    search     tsvector    GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
    created_at timestamptz NOT NULL,
    FOREIGN KEY (org_id, lead_id) REFERENCES leads (org_id, id)
);
CREATE INDEX lead_notes_lead_idx ON lead_notes (lead_id, created_at DESC, id DESC);
CREATE INDEX lead_notes_search_idx ON lead_notes USING gin (search);

-- Lead lifecycle entries for the timeline: creation, status changes,
-- assignments, archiving.
CREATE TABLE lead_changes (
    id          uuid        PRIMARY KEY,
    org_id      uuid        NOT NULL,
    lead_id     uuid        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('created', 'status_changed', 'assigned', 'archived')),
    from_value  text,
    to_value    text,
    actor_id    uuid,
    occurred_at timestamptz NOT NULL,
    FOREIGN KEY (org_id, lead_id) REFERENCES leads (org_id, id)
);
CREATE INDEX lead_changes_lead_idx ON lead_changes (lead_id, occurred_at DESC, id DESC);

CREATE TABLE lead_scores (
    id          uuid        PRIMARY KEY,
    org_id      uuid        NOT NULL,
    lead_id     uuid        NOT NULL,
    score       integer     NOT NULL CHECK (score BETWEEN 0 AND 100),
    factors     jsonb       NOT NULL,
    computed_at timestamptz NOT NULL,
    FOREIGN KEY (org_id, lead_id) REFERENCES leads (org_id, id)
);
CREATE INDEX lead_scores_lead_idx ON lead_scores (lead_id, computed_at DESC, id DESC);

CREATE TABLE deal_stages (
    id          uuid        PRIMARY KEY,
    org_id      uuid        NOT NULL,
    key         text        NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,49}$'),
    name        text        NOT NULL CHECK (name <> '' AND char_length(name) <= 100),
    probability integer     NOT NULL CHECK (probability BETWEEN 0 AND 100),
    position    integer     NOT NULL CHECK (position >= 0),
    -- open, won or lost; won and lost stages are terminal.
    kind        text        NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    created_at  timestamptz NOT NULL,
    CONSTRAINT deal_stages_org_id_key UNIQUE (org_id, id),
    CONSTRAINT deal_stages_org_key_key UNIQUE (org_id, key),
    CONSTRAINT deal_stages_org_position_key UNIQUE (org_id, position)
);

CREATE TABLE deals (
    id                  uuid        PRIMARY KEY,
    org_id              uuid        NOT NULL,
    lead_id             uuid        NOT NULL,
    title               text        NOT NULL CHECK (title <> '' AND char_length(title) <= 200),
    value_cents         bigint      NOT NULL CHECK (value_cents >= 0),
    currency            text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    stage_id            uuid        NOT NULL,
    property_id         uuid,
    assignee_id         uuid,
    expected_close_date date,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    closed_at           timestamptz,
    CONSTRAINT deals_org_id_key UNIQUE (org_id, id),
    FOREIGN KEY (org_id, lead_id) REFERENCES leads (org_id, id),
    FOREIGN KEY (org_id, stage_id) REFERENCES deal_stages (org_id, id)
);
CREATE INDEX deals_org_created_idx ON deals (org_id, created_at, id);
CREATE INDEX deals_org_updated_idx ON deals (org_id, updated_at, id);
CREATE INDEX deals_org_value_idx ON deals (org_id, value_cents, id);
CREATE INDEX deals_lead_idx ON deals (org_id, lead_id);

CREATE TABLE deal_stage_history (
    id            uuid        PRIMARY KEY,
    org_id        uuid        NOT NULL,
    deal_id       uuid        NOT NULL,
    from_stage_id uuid,
    to_stage_id   uuid        NOT NULL,
    changed_by    uuid,
    changed_at    timestamptz NOT NULL,
    FOREIGN KEY (org_id, deal_id) REFERENCES deals (org_id, id),
    FOREIGN KEY (org_id, from_stage_id) REFERENCES deal_stages (org_id, id),
    FOREIGN KEY (org_id, to_stage_id) REFERENCES deal_stages (org_id, id)
);
CREATE INDEX deal_stage_history_deal_idx ON deal_stage_history (deal_id, changed_at DESC, id DESC);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['contacts', 'lead_sources', 'leads', 'lead_activities', 'lead_notes',
                             'lead_changes', 'lead_scores', 'deal_stages', 'deals', 'deal_stage_history']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;
