-- Every domain event of the topics platform reads, in the order it was
-- received: GET /events/history, and (later) what a live stream resumes
-- from. perm is the permission a caller needs to read the event, fixed
-- when it is received.
CREATE TABLE event_history (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      uuid NOT NULL,
    event_id    text NOT NULL,
    source      text NOT NULL,
    type        text NOT NULL,
    -- The type without reos.<context>. (lead.created), which filters match.
    short_type  text NOT NULL,
    subject     text NOT NULL DEFAULT '',
    perm        text NOT NULL,
    occurred_at timestamptz NOT NULL,
    data        jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, event_id)
);
CREATE INDEX event_history_org_seq ON event_history (org_id, seq);

ALTER TABLE event_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_history FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON event_history
    USING (org_id = current_setting('app.org_id', true)::uuid)
    WITH CHECK (org_id = current_setting('app.org_id', true)::uuid);
