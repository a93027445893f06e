-- The idempotency store (see store.go). Applied into the owning service's
-- schema with search_path set to it (postgres.Migrate), under its own version
-- table; the service's first migration grants its role access through
-- ALTER DEFAULT PRIVILEGES. IF NOT EXISTS: before this package shipped its
-- own migrations the gateway created the same table in its migration 1.

-- One row per (scope, key): scope is "user:<id>" or "ip:<addr>", so two
-- callers with the same key never share a response.
CREATE TABLE IF NOT EXISTS idempotency_keys (
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
CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON idempotency_keys (expires_at);
