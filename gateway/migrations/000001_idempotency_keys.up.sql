-- The gateway's schema: idempotency keys (see pkg/idempotency for how they
-- are used). Runs with search_path = gateway, as the owner role.

-- The NOLOGIN group role the gateway runs as. Roles are cluster-wide, so it
-- may already exist (another database, or the dev scripts created it).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gateway_app') THEN
        CREATE ROLE gateway_app NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL; -- created concurrently
END
$$;

GRANT USAGE ON SCHEMA gateway TO gateway_app;
-- Tables created later by the owner in this schema are usable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA gateway GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gateway_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA gateway GRANT USAGE, SELECT ON SEQUENCES TO gateway_app;
-- `gateway serve` checks the schema version at start, as gateway_app.
GRANT SELECT ON gateway.schema_migrations TO gateway_app;

-- One row per (scope, key): scope is "user:<id>" or "ip:<addr>", so two
-- callers with the same key never share a response.
CREATE TABLE idempotency_keys (
    scope            text        NOT NULL,
    key              text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- SHA-256 of method, path, query and body
    fingerprint      bytea       NOT NULL CHECK (length(fingerprint) = 32),
    -- identifies the claim, so a request whose claim was taken over after
    -- the lock timeout cannot overwrite its successor's result
    claim_token      uuid        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('in_flight', 'completed')),
    request_method   text        NOT NULL,
    request_path     text        NOT NULL,
    response_status  integer     CHECK (response_status BETWEEN 100 AND 599),
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    locked_at        timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (scope, key),
    CHECK (state = 'in_flight' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
);

-- The purge loop deletes by expiry.
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO gateway_app;
