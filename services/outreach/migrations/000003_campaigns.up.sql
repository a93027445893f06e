-- outreach: the organisation's sending settings, email and SMS templates,
-- campaigns with their steps, audience and frozen targets, every message
-- attempt and the providers' deliverability events. Tenant tables (RLS on
-- app.org_id, as in 000002); cross-table references are composite
-- (org_id, id) foreign keys so a row can never point into another
-- organisation.

CREATE TABLE settings (
    org_id         uuid        PRIMARY KEY,
    sender_name    text        NOT NULL DEFAULT '' CHECK (char_length(sender_name) <= 100),
    -- NULL until set; lower case.
    sender_email   text        CHECK (sender_email <> '' AND octet_length(sender_email) <= 254),
    reply_to       text        CHECK (reply_to <> '' AND octet_length(reply_to) <= 254),
    -- The SMS sending number, E.164.
    sms_from       text        CHECK (sms_from ~ '^\+[1-9][0-9]{6,14}$'),
    -- The organisation's physical postal address (CAN-SPAM): an email
    -- campaign cannot launch without it.
    postal_address text        CHECK (postal_address <> '' AND char_length(postal_address) <= 500),
    -- The answer to an inbound HELP.
    help_text      text        CHECK (help_text <> '' AND char_length(help_text) <= 320),
    -- The zone of recipients whose own zone cannot be told (IANA).
    time_zone      text        NOT NULL CHECK (time_zone <> '' AND char_length(time_zone) <= 64),
    updated_at     timestamptz NOT NULL,
    updated_by     uuid
);

CREATE TABLE email_templates (
    id         uuid        PRIMARY KEY,
    org_id     uuid        NOT NULL,
    name       text        NOT NULL CHECK (name <> '' AND char_length(name) <= 200),
    subject    text        NOT NULL CHECK (subject <> '' AND char_length(subject) <= 998),
    html       text        NOT NULL CHECK (octet_length(html) <= 262144),
    -- NULL: the plain-text part is generated from html.
    text       text        CHECK (octet_length(text) <= 262144),
    created_by uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT email_templates_org_id_key UNIQUE (org_id, id),
    CONSTRAINT email_templates_org_name_key UNIQUE (org_id, name)
);
CREATE INDEX email_templates_org_created_idx ON email_templates (org_id, created_at, id);

CREATE TABLE sms_templates (
    id         uuid        PRIMARY KEY,
    org_id     uuid        NOT NULL,
    name       text        NOT NULL CHECK (name <> '' AND char_length(name) <= 200),
    body       text        NOT NULL CHECK (body <> '' AND char_length(body) <= 1600),
    created_by uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT sms_templates_org_id_key UNIQUE (org_id, id),
    CONSTRAINT sms_templates_org_name_key UNIQUE (org_id, name)
);
CREATE INDEX sms_templates_org_created_idx ON sms_templates (org_id, created_at, id);

CREATE TABLE campaigns (
    id                   uuid        PRIMARY KEY,
    org_id               uuid        NOT NULL,
    name                 text        NOT NULL CHECK (name <> '' AND char_length(name) <= 200),
    -- draft → scheduled (a start time) → running (launched) ⇄ paused →
    -- completed (every target of every step final); missed: a scheduled
    -- start missed by more than the grace period, held for a person to
    -- launch; cancelled from any state but completed.
    status               text        NOT NULL CHECK (status IN ('draft', 'scheduled', 'missed', 'running', 'paused', 'completed', 'cancelled')),
    scheduled_at         timestamptz,
    grace_period_seconds integer     NOT NULL DEFAULT 3600 CHECK (grace_period_seconds BETWEEN 60 AND 604800),
    -- Why a paused campaign is paused: 'manual', or the guard that paused
    -- it ('complaint_rate', 'hard_bounce_rate').
    pause_reason         text        CHECK (pause_reason IN ('manual', 'complaint_rate', 'hard_bounce_rate')),
    -- Who the campaign goes to before launch: nobody yet, the explicit
    -- leads of campaign_audience_leads, or the saved lead filter.
    audience             text        NOT NULL DEFAULT 'none' CHECK (audience IN ('none', 'leads', 'filter')),
    filter               jsonb,
    created_by           uuid,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    launched_at          timestamptz,
    completed_at         timestamptz,
    cancelled_at         timestamptz,
    CONSTRAINT campaigns_org_id_key UNIQUE (org_id, id),
    CONSTRAINT campaigns_scheduled CHECK (status <> 'scheduled' OR scheduled_at IS NOT NULL),
    CONSTRAINT campaigns_paused CHECK ((status = 'paused') = (pause_reason IS NOT NULL)),
    CONSTRAINT campaigns_filter CHECK ((audience = 'filter') = (filter IS NOT NULL))
);
CREATE INDEX campaigns_org_created_idx ON campaigns (org_id, created_at, id);
CREATE INDEX campaigns_org_name_idx ON campaigns (org_id, name, id);
-- The scheduler's scan: scheduled campaigns by start time.
CREATE INDEX campaigns_scheduled_idx ON campaigns (scheduled_at) WHERE status = 'scheduled';

-- A campaign's sequence: step 1, 2 … each after a delay from the previous
-- step (from the launch for step 1) or at an absolute time.
CREATE TABLE campaign_steps (
    org_id               uuid    NOT NULL,
    campaign_id          uuid    NOT NULL,
    step                 integer NOT NULL CHECK (step BETWEEN 1 AND 50),
    channel              text    NOT NULL CHECK (channel IN ('email', 'sms')),
    email_template_id    uuid,
    sms_template_id      uuid,
    delay_seconds        integer CHECK (delay_seconds BETWEEN 0 AND 31536000),
    send_at              timestamptz,
    stop_on_reply        boolean NOT NULL DEFAULT true,
    stop_on_stage_change boolean NOT NULL DEFAULT false,
    PRIMARY KEY (org_id, campaign_id, step),
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE CASCADE,
    -- A template a step uses cannot be deleted (RESTRICT: 409).
    FOREIGN KEY (org_id, email_template_id) REFERENCES email_templates (org_id, id),
    FOREIGN KEY (org_id, sms_template_id) REFERENCES sms_templates (org_id, id),
    CONSTRAINT campaign_steps_template CHECK (
        (channel = 'email' AND email_template_id IS NOT NULL AND sms_template_id IS NULL) OR
        (channel = 'sms' AND sms_template_id IS NOT NULL AND email_template_id IS NULL)),
    CONSTRAINT campaign_steps_timing CHECK ((delay_seconds IS NULL) <> (send_at IS NULL))
);
CREATE INDEX campaign_steps_email_template_idx ON campaign_steps (org_id, email_template_id) WHERE email_template_id IS NOT NULL;
CREATE INDEX campaign_steps_sms_template_idx ON campaign_steps (org_id, sms_template_id) WHERE sms_template_id IS NOT NULL;

-- The explicit leads chosen for a campaign (audience = 'leads'), before
-- launch; checked against the audience read model when chosen.
CREATE TABLE campaign_audience_leads (
    org_id      uuid    NOT NULL,
    campaign_id uuid    NOT NULL,
    lead_id     uuid    NOT NULL,
    position    integer NOT NULL,
    PRIMARY KEY (org_id, campaign_id, lead_id),
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE CASCADE
);

-- The targets frozen at launch (the explicit leads, or the filter's
-- matches then), with the contact details they are sent to: a change in
-- crm after launch does not move a running campaign's audience.
CREATE TABLE campaign_targets (
    org_id      uuid        NOT NULL,
    campaign_id uuid        NOT NULL,
    lead_id     uuid        NOT NULL,
    contact_id  uuid        NOT NULL,
    first_name  text        NOT NULL DEFAULT '',
    last_name   text        NOT NULL DEFAULT '',
    email       text,
    phone       text,
    time_zone   text,
    postal_code text,
    -- active, or stopped (replied, stage change, opt-out: the later steps
    -- are not sent) with the reason.
    state       text        NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'stopped')),
    stop_reason text,
    frozen_at   timestamptz NOT NULL,
    PRIMARY KEY (org_id, campaign_id, lead_id),
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id),
    CONSTRAINT campaign_targets_stopped CHECK ((state = 'stopped') = (stop_reason IS NOT NULL))
);

-- Every message outreach means to send, recorded before the provider call
-- and completed after it. The deterministic key (campaign, target, step,
-- channel) is unique, and message_key (the provider's idempotency key or
-- message id) is derived from it, so no crash, retry or replay can send a
-- message twice. A one-off send has no campaign (NULLs are distinct) and
-- a message_key derived from its Idempotency-Key.
CREATE TABLE outreach_attempts (
    id                  uuid        PRIMARY KEY,
    org_id              uuid        NOT NULL,
    message_key         text        NOT NULL CHECK (message_key <> '' AND octet_length(message_key) <= 200),
    campaign_id         uuid,
    step                integer,
    lead_id             uuid,
    contact_id          uuid,
    channel             text        NOT NULL CHECK (channel IN ('email', 'sms')),
    -- The email (lower case) or E.164 number it goes to; NULL when the
    -- target had none (blocked: no_address).
    address             text,
    status              text        NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'bounced', 'complained', 'blocked', 'deferred', 'failed')),
    -- The gate's or the provider's reason (compliance.Reason*, a provider code).
    reason              text,
    bounce              text        CHECK (bounce IN ('hard', 'soft')),
    subject             text,
    provider            text,
    provider_message_id text,
    -- A deferred message waits until then (the quiet hours' next allowed minute).
    not_before          timestamptz,
    tries               integer     NOT NULL DEFAULT 0 CHECK (tries >= 0),
    queued_at           timestamptz NOT NULL,
    sent_at             timestamptz,
    delivered_at        timestamptz,
    opened_at           timestamptz,
    clicked_at          timestamptz,
    replied_at          timestamptz,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT outreach_attempts_org_id_key UNIQUE (org_id, id),
    CONSTRAINT outreach_attempts_message_key UNIQUE (org_id, message_key),
    CONSTRAINT outreach_attempts_deterministic_key UNIQUE (org_id, campaign_id, lead_id, step, channel),
    CONSTRAINT outreach_attempts_campaign CHECK ((campaign_id IS NULL) = (step IS NULL)),
    FOREIGN KEY (org_id, campaign_id, step) REFERENCES campaign_steps (org_id, campaign_id, step),
    FOREIGN KEY (org_id, campaign_id, lead_id) REFERENCES campaign_targets (org_id, campaign_id, lead_id)
);
CREATE INDEX outreach_attempts_campaign_idx ON outreach_attempts (org_id, campaign_id, step, status);
CREATE INDEX outreach_attempts_provider_idx ON outreach_attempts (provider, provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX outreach_attempts_deferred_idx ON outreach_attempts (not_before) WHERE status = 'deferred';
CREATE INDEX outreach_attempts_org_queued_idx ON outreach_attempts (org_id, queued_at, id);

-- The providers' events about attempts, normalised (webhooks.Type).
-- Complaints are their own type, never counted as bounces.
CREATE TABLE deliverability_events (
    id                uuid        PRIMARY KEY,
    org_id            uuid        NOT NULL,
    attempt_id        uuid,
    provider          text        NOT NULL CHECK (provider <> '' AND char_length(provider) <= 40),
    -- The provider's own event id, when it has one: a repeated delivery of
    -- the same webhook is recorded once.
    provider_event_id text        CHECK (provider_event_id <> '' AND octet_length(provider_event_id) <= 200),
    type              text        NOT NULL CHECK (type IN ('delivered', 'bounced_hard', 'bounced_soft', 'complained', 'opened', 'clicked', 'deferred', 'inbound', 'unsubscribed')),
    recipient         text,
    -- The recipient's email domain (deliverability by domain); NULL for SMS.
    recipient_domain  text,
    detail            text        CHECK (char_length(detail) <= 2000),
    url               text        CHECK (char_length(url) <= 2000),
    occurred_at       timestamptz NOT NULL,
    received_at       timestamptz NOT NULL,
    CONSTRAINT deliverability_events_provider_event UNIQUE (org_id, provider, provider_event_id),
    FOREIGN KEY (org_id, attempt_id) REFERENCES outreach_attempts (org_id, id)
);
CREATE INDEX deliverability_events_attempt_idx ON deliverability_events (org_id, attempt_id);
CREATE INDEX deliverability_events_domain_idx ON deliverability_events (org_id, recipient_domain, type);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['settings', 'email_templates', 'sms_templates', 'campaigns', 'campaign_steps',
                             'campaign_audience_leads', 'campaign_targets', 'outreach_attempts', 'deliverability_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;
