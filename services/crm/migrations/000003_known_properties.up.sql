-- Read model of the property service's properties, fed by crm's consumer of
-- reos.property.events (group crm-property-read-model): one row per property
-- crm has heard of, so lead property_ids can be validated without calling
-- property. Written only by that consumer, read by lead create/update.
-- A tenant table like the others: the consumer writes in a transaction with
-- app.org_id set from the event's orgid.
CREATE TABLE known_properties (
    org_id      uuid        NOT NULL,
    property_id uuid        NOT NULL,
    -- Archived in property (terminal there): no longer accepted on leads.
    archived    boolean     NOT NULL DEFAULT false,
    -- Time of the latest event applied to the row.
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, property_id)
);

ALTER TABLE known_properties ENABLE ROW LEVEL SECURITY;
ALTER TABLE known_properties FORCE ROW LEVEL SECURITY;
CREATE POLICY known_properties_tenant ON known_properties
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
