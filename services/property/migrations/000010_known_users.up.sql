-- Read model of identity's users, fed by property's consumer of
-- reos.identity.events (group property-identity-read-model; events parsed
-- by pkg/events.ParseUserEvent): who may be a listing's agent — a known,
-- not deleted user of the organisation (issue 9, defect 7). Written only by
-- that consumer, in a transaction with app.org_id set from the event's
-- orgid; a tenant table like the others, so another organisation's user is
-- simply not there.
CREATE TABLE known_users (
    org_id     uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    -- false once identity deleted the user; deletion is terminal there, so
    -- no later event (a redelivered registration, a snapshot) revives it.
    active     boolean     NOT NULL DEFAULT true,
    -- Time of the latest event applied to the row.
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

ALTER TABLE known_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE known_users FORCE ROW LEVEL SECURITY;
CREATE POLICY known_users_tenant ON known_users
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
