DROP TABLE IF EXISTS outreach_events;
-- What outreach did with a lead's person, for the lead's timeline: each
-- event of reos.outreach.events that names a lead or a contact crm knows
-- (consumer group crm-outreach-timeline), once. Written only by that
-- consumer, in a transaction with app.org_id from the event's orgid; read
-- by GET /leads/{id}/timeline as kind "outreach". An event naming a lead
-- shows on that lead's timeline; one naming only a contact (an
-- unsubscribe by link) on the timeline of every lead of the contact.
CREATE TABLE outreach_events (
    -- The timeline item's id (crm's own: the keyset needs a uuid, and a
    -- CloudEvents id is any string).
    id          uuid        PRIMARY KEY,
    org_id      uuid        NOT NULL,
    -- The CloudEvents id: an event delivered twice is recorded once.
    event_id    text        NOT NULL CHECK (event_id <> '' AND octet_length(event_id) <= 200),
    type        text        NOT NULL CHECK (type ~ '^reos\.outreach\.[a-z_]+\.[a-z_]+$'),
    lead_id     uuid,
    contact_id  uuid,
    -- One line for people ("Email sent: Spring open house").
    summary     text        NOT NULL CHECK (summary <> '' AND char_length(summary) <= 200),
    -- The event's facts the timeline shows (channel, campaign, status …),
    -- checked and bounded by the consumer; never the raw payload.
    detail      jsonb       NOT NULL,
    occurred_at timestamptz NOT NULL,
    CONSTRAINT outreach_events_names_someone CHECK (lead_id IS NOT NULL OR contact_id IS NOT NULL),
    CONSTRAINT outreach_events_event_key UNIQUE (org_id, event_id),
    FOREIGN KEY (org_id, lead_id) REFERENCES leads (org_id, id),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id)
);
-- The timeline's two keyset branches: a lead's own events, and its
-- contact's that name no lead.
CREATE INDEX outreach_events_lead_idx ON outreach_events (lead_id, occurred_at DESC, id DESC) WHERE lead_id IS NOT NULL;
CREATE INDEX outreach_events_contact_idx ON outreach_events (contact_id, occurred_at DESC, id DESC) WHERE lead_id IS NULL;

ALTER TABLE outreach_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE outreach_events FORCE ROW LEVEL SECURITY;
CREATE POLICY outreach_events_tenant ON outreach_events
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
