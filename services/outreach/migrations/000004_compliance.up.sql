-- outreach's compliance lists: opt-outs (the unsubscribe list), the
-- do-not-call list, suppressions (hard bounces, complaints, soft-bounce
-- streaks) and the append-only consent log. Tenant tables (RLS on
-- app.org_id, as in 000002). Addresses are normalised by the service:
-- email lower case, phone numbers E.164.

CREATE TABLE unsubscribes (
    org_id      uuid        NOT NULL,
    channel     text        NOT NULL CHECK (channel IN ('email', 'sms')),
    address     text        NOT NULL CHECK (address <> '' AND octet_length(address) <= 254),
    contact_id  uuid,
    lead_id     uuid,
    campaign_id uuid,
    source      text        NOT NULL CHECK (source IN ('link', 'one_click', 'sms_stop', 'api')),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, channel, address)
);
CREATE INDEX unsubscribes_org_created_idx ON unsubscribes (org_id, created_at, channel, address);

-- Do not call: phone numbers no text (or call) may reach.
CREATE TABLE dnc_entries (
    -- The entry's id: lists page by (created_at, id).
    id         uuid        NOT NULL UNIQUE,
    org_id     uuid        NOT NULL,
    phone      text        NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    reason     text        CHECK (char_length(reason) <= 500),
    added_by   uuid,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, phone)
);
CREATE INDEX dnc_entries_org_created_idx ON dnc_entries (org_id, created_at, id);

CREATE TABLE suppressions (
    org_id     uuid        NOT NULL,
    channel    text        NOT NULL CHECK (channel IN ('email', 'sms')),
    address    text        NOT NULL CHECK (address <> '' AND octet_length(address) <= 254),
    reason     text        NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'soft_bounces')),
    detail     text        CHECK (char_length(detail) <= 2000),
    attempt_id uuid,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, channel, address)
);

-- Soft bounces in a row per address; a delivery resets the streak, and the
-- configured count (default 3) suppresses the address.
CREATE TABLE bounce_streaks (
    org_id       uuid        NOT NULL,
    channel      text        NOT NULL CHECK (channel IN ('email', 'sms')),
    address      text        NOT NULL,
    soft_bounces integer     NOT NULL CHECK (soft_bounces >= 0),
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (org_id, channel, address)
);

-- The consent log: who granted or withdrew consent for which channel and
-- address, when, how and with what proof. Append-only: the service role may
-- only INSERT and SELECT, and a trigger refuses UPDATE, DELETE and TRUNCATE
-- to everyone, the owner included. The state of an address is its latest
-- entry (occurred_at, then recorded_at).
CREATE TABLE consent_log (
    id          uuid        PRIMARY KEY,
    org_id      uuid        NOT NULL,
    channel     text        NOT NULL CHECK (channel IN ('email', 'sms')),
    address     text        NOT NULL CHECK (address <> '' AND octet_length(address) <= 254),
    contact_id  uuid,
    lead_id     uuid,
    action      text        NOT NULL CHECK (action IN ('granted', 'withdrawn')),
    -- How: web_form, paper_form, verbal, import, api, sms_keyword, unsubscribe.
    source      text        NOT NULL CHECK (source IN ('web_form', 'paper_form', 'verbal', 'import', 'api', 'sms_keyword', 'unsubscribe')),
    -- What shows it: a form submission id, a recording reference, the
    -- inbound message id … (required for a grant).
    proof       text        CHECK (char_length(proof) <= 2000),
    -- Who recorded it: the user; NULL when the recipient did it themselves
    -- (an SMS keyword, an unsubscribe link).
    actor_id    uuid,
    -- When it happened (may precede recording: a paper form); recorded_at
    -- is when outreach learnt it.
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    CONSTRAINT consent_log_grant_proof CHECK (action <> 'granted' OR proof IS NOT NULL)
);
CREATE INDEX consent_log_address_idx ON consent_log (org_id, channel, address, occurred_at DESC, recorded_at DESC);
CREATE INDEX consent_log_org_recorded_idx ON consent_log (org_id, recorded_at, id);

CREATE FUNCTION consent_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'outreach.consent_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER consent_log_no_update BEFORE UPDATE OR DELETE ON consent_log
    FOR EACH ROW EXECUTE FUNCTION consent_log_append_only();
CREATE TRIGGER consent_log_no_truncate BEFORE TRUNCATE ON consent_log
    FOR EACH STATEMENT EXECUTE FUNCTION consent_log_append_only();
-- The default privileges (000001) granted UPDATE and DELETE: take them back.
REVOKE UPDATE, DELETE, TRUNCATE ON consent_log FROM outreach_app;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['unsubscribes', 'dnc_entries', 'suppressions', 'bounce_streaks', 'consent_log']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;
