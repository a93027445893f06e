-- Read model of identity's users and teams, fed by crm's consumer of
-- reos.identity.events (group crm-identity-read-model): who may be a lead's
-- assignee (an active user of the organisation) and who is in which team
-- (round-robin assignment rules). Written only by that consumer, in a
-- transaction with app.org_id set from the event's orgid; tenant tables like
-- the others.
CREATE TABLE known_users (
    org_id     uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    -- Role names as identity last announced them ({} until one is heard).
    roles      text[]      NOT NULL DEFAULT '{}',
    -- false once identity deleted the user; deletion is terminal there, so
    -- no later event revives the row.
    active     boolean     NOT NULL DEFAULT true,
    -- Time of the latest event applied to the row.
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

CREATE TABLE known_teams (
    org_id     uuid        NOT NULL,
    team_id    uuid        NOT NULL,
    -- Deleted in identity (terminal): no members, no longer a rule target.
    deleted    boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, team_id)
);

CREATE TABLE known_team_members (
    org_id   uuid        NOT NULL,
    team_id  uuid        NOT NULL,
    user_id  uuid        NOT NULL,
    added_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, team_id, user_id),
    FOREIGN KEY (org_id, team_id) REFERENCES known_teams (org_id, team_id) ON DELETE CASCADE
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['known_users', 'known_teams', 'known_team_members']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;
