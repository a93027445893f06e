-- outreach's audience: a read model of crm's contacts and leads, fed by the
-- consumer of reos.crm.events (group outreach-crm-read-model). Written only
-- by that consumer, in a transaction with app.org_id set from the event's
-- orgid. Newer wins: a row keeps the time of the state it holds (the
-- contact's updated_at, a lead event's time) and an event that is not newer
-- changes nothing, so replays and `crm republish` are harmless and the
-- model can be rebuilt from the topic. Tenant tables like every other.
-- NULLIF: on a pooled connection where an earlier transaction set
-- app.org_id locally, current_setting returns '' afterwards, which must
-- match nothing.

CREATE TABLE audience_contacts (
    org_id      uuid        NOT NULL,
    contact_id  uuid        NOT NULL,
    first_name  text        NOT NULL DEFAULT '',
    last_name   text        NOT NULL DEFAULT '',
    -- As crm sends them: email lower case, phone E.164, zone IANA.
    email       text,
    phone       text,
    time_zone   text,
    postal_code text,
    -- contact.deleted (terminal: nothing revives the row).
    deleted     boolean     NOT NULL DEFAULT false,
    -- The time of the state held (contact updated_at, else the event time).
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, contact_id)
);
CREATE INDEX audience_contacts_email_idx ON audience_contacts (org_id, email) WHERE email IS NOT NULL;
CREATE INDEX audience_contacts_phone_idx ON audience_contacts (org_id, phone) WHERE phone IS NOT NULL;

CREATE TABLE audience_leads (
    org_id      uuid        NOT NULL,
    lead_id     uuid        NOT NULL,
    contact_id  uuid        NOT NULL,
    -- crm's lead status: the stage a filter selects on.
    status      text        NOT NULL,
    source_id   uuid,
    source_key  text,
    assignee_id uuid,
    score       integer,
    tags        text[]      NOT NULL DEFAULT '{}',
    postal_code text,
    -- lead.archived, or archived_at in the state (terminal).
    archived    boolean     NOT NULL DEFAULT false,
    -- The time of the event whose state the row holds.
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, lead_id)
);
CREATE INDEX audience_leads_contact_idx ON audience_leads (org_id, contact_id);
CREATE INDEX audience_leads_filter_idx ON audience_leads (org_id, status, lead_id) WHERE NOT archived;
CREATE INDEX audience_leads_tags_idx ON audience_leads USING gin (tags);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['audience_contacts', 'audience_leads']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;
