-- The read model of property's properties and valuations, fed by the
-- consumer of reos.property.events (group portfolio-property-read-model)
-- and, for a property it has not seen, by the HTTP fallback to property.
-- Written in transactions with app.org_id set to the event's organisation.
--
-- known_properties: a holding's property_id must be one of these (archived
-- is sticky: property has no unarchive).
CREATE TABLE known_properties (
    org_id      uuid        NOT NULL,
    property_id uuid        NOT NULL,
    archived    boolean     NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, property_id)
);

-- property_valuations: every completed valuation, keyed by its id. A
-- valuation's outcome is final, so a duplicate (redelivery, replay,
-- rebuild) changes nothing (ON CONFLICT DO NOTHING); the mark of a
-- property is its newest valuation (as_of, then completed_at, then id), so
-- the order events arrive in does not matter: newer wins by construction.
CREATE TABLE property_valuations (
    org_id         uuid        NOT NULL,
    valuation_id   uuid        NOT NULL,
    property_id    uuid        NOT NULL,
    as_of          date        NOT NULL,
    estimate_cents bigint      NOT NULL,
    low_cents      bigint      NOT NULL,
    high_cents     bigint      NOT NULL,
    confidence     integer     NOT NULL,
    method         text        NOT NULL,
    -- When the valuation completed (the event's time, or property's
    -- completed_at for the fallback).
    completed_at   timestamptz NOT NULL,
    -- 'event' (reos.property.events) or 'property_api' (the fallback).
    source         text        NOT NULL CHECK (source IN ('event', 'property_api')),
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (org_id, valuation_id)
);
CREATE INDEX property_valuations_mark_idx ON property_valuations (org_id, property_id, as_of DESC, completed_at DESC, valuation_id DESC);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['known_properties', 'property_valuations']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;
