-- Automated valuations (PropertyValuation). A row is inserted queued in the
-- transaction that enqueues its River job; the job records the outcome:
-- completed with the result, or failed with a reason. The comparables used
-- are kept as they were (jsonb array, ranked order), so a valuation stays
-- explainable after the comparables change. Money is integer cents.
CREATE TABLE property_valuations (
    id                   uuid        PRIMARY KEY,
    org_id               uuid        NOT NULL,
    property_id          uuid        NOT NULL,
    status               text        NOT NULL CHECK (status IN ('queued', 'completed', 'failed')),
    requested_by         uuid,
    requested_at         timestamptz NOT NULL,
    as_of                date        NOT NULL,
    job_id               bigint      NOT NULL,
    completed_at         timestamptz,
    method               text        CHECK (char_length(method) BETWEEN 1 AND 50),
    estimate_cents       bigint      CHECK (estimate_cents >= 0),
    low_cents            bigint      CHECK (low_cents >= 0),
    high_cents           bigint      CHECK (high_cents >= 0),
    confidence           integer     CHECK (confidence BETWEEN 0 AND 100),
    price_per_sqft_cents bigint      CHECK (price_per_sqft_cents >= 0),
    market_region        text,
    market_month         text        CHECK (market_month ~ '^[0-9]{4}-[0-9]{2}$'),
    market_index         bigint      CHECK (market_index > 0),
    comparables          jsonb       CHECK (jsonb_typeof(comparables) = 'array'),
    memo                 text,
    memo_sha256          text        CHECK (memo_sha256 ~ '^[0-9a-f]{64}$'),
    failure_reason       text        CHECK (failure_reason IN (
        'insufficient_comparables', 'subject_incomplete', 'market_data_unavailable', 'estimate_out_of_range')),
    failure_message      text,
    CONSTRAINT property_valuations_property_fk FOREIGN KEY (org_id, property_id) REFERENCES properties (org_id, id),
    -- A completed valuation has its whole result; a failed one its reason.
    CONSTRAINT property_valuations_completed CHECK (status <> 'completed' OR (
        completed_at IS NOT NULL AND method IS NOT NULL AND estimate_cents IS NOT NULL
        AND low_cents <= estimate_cents AND estimate_cents <= high_cents AND confidence IS NOT NULL
        AND price_per_sqft_cents IS NOT NULL AND market_region IS NOT NULL AND market_month IS NOT NULL
        AND market_index IS NOT NULL AND comparables IS NOT NULL AND memo IS NOT NULL AND memo_sha256 IS NOT NULL)),
    CONSTRAINT property_valuations_failed CHECK ((status = 'failed') = (failure_reason IS NOT NULL))
);
-- A property's valuations, newest first (keyset on requested_at, id).
CREATE INDEX property_valuations_property_idx ON property_valuations (org_id, property_id, requested_at DESC, id DESC);
ALTER TABLE property_valuations ENABLE ROW LEVEL SECURITY;
ALTER TABLE property_valuations FORCE ROW LEVEL SECURITY;
CREATE POLICY property_valuations_tenant ON property_valuations
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
