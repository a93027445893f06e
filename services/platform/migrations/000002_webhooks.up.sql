-- Webhooks out: the endpoints an organisation subscribes, the messages
-- made for them from the domain events, and every delivery attempt.
-- Every table is a tenant table under row-level security.
CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL,
    url             text NOT NULL,
    description     text NOT NULL DEFAULT '',
    event_types     text[] NOT NULL,
    -- whsec_ secrets; the previous one signs too until it expires (rotation).
    secret          text NOT NULL,
    previous_secret text,
    previous_until  timestamptz,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text NOT NULL DEFAULT '',
    -- Since when every attempt has failed (NULL after a success).
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_org_created ON webhook_endpoints (org_id, created_at DESC, id DESC);

-- One message per endpoint and event: the consumer's redelivery of an event
-- makes no second one. Its id is the webhook-id, the same on every attempt.
CREATE TABLE webhook_messages (
    id          text PRIMARY KEY,
    org_id      uuid NOT NULL,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id    text NOT NULL,
    event_type  text NOT NULL,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (endpoint_id, event_id)
);

CREATE TABLE webhook_logs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id           uuid NOT NULL,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id       text NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    attempt          int NOT NULL,
    verdict          text NOT NULL,
    status           int,
    duration_ms      int NOT NULL,
    response_excerpt text NOT NULL DEFAULT '',
    error            text NOT NULL DEFAULT '',
    at               timestamptz NOT NULL
);
CREATE INDEX webhook_logs_endpoint ON webhook_logs (endpoint_id, id DESC);
CREATE INDEX webhook_logs_message ON webhook_logs (message_id);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_endpoints
    USING (org_id = current_setting('app.org_id', true)::uuid)
    WITH CHECK (org_id = current_setting('app.org_id', true)::uuid);
ALTER TABLE webhook_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_messages
    USING (org_id = current_setting('app.org_id', true)::uuid)
    WITH CHECK (org_id = current_setting('app.org_id', true)::uuid);
ALTER TABLE webhook_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_logs
    USING (org_id = current_setting('app.org_id', true)::uuid)
    WITH CHECK (org_id = current_setting('app.org_id', true)::uuid);
