-- What `identity republish` needs to snapshot every organisation's users
-- and teams (see docs/architecture.md, identity: Republishing).

-- The organisations, across tenants: row-level security shows the service
-- role one organisation at a time, and the command must find them all. The
-- function returns ids only, a page at a time; the owner gets a read policy
-- for the function's sake, as for login_lookup (the owner could lift the
-- policies anyway, so this grants it nothing new).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY organizations_republish ON organizations FOR SELECT TO %I USING (true)', current_user);
END
$$;

CREATE FUNCTION organization_ids_after(p_after uuid, p_limit integer)
RETURNS SETOF uuid
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = identity, pg_temp
AS $$
    SELECT o.id FROM identity.organizations o
    WHERE o.id > p_after
    ORDER BY o.id
    LIMIT least(greatest(p_limit, 0), 1000)
$$;
REVOKE ALL ON FUNCTION organization_ids_after(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION organization_ids_after(uuid, integer) TO identity_app;

-- Deleted teams. A team row is deleted with its memberships, so without a
-- trace of it a republish could not tell a consumer that missed
-- team.deleted (a read model restored from a backup) that the team is
-- gone. One row per team deleted from now on; written in the deleting
-- transaction, never changed.
CREATE TABLE deleted_teams (
    org_id     uuid        NOT NULL REFERENCES organizations (id),
    team_id    uuid        NOT NULL,
    deleted_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, team_id)
);
ALTER TABLE deleted_teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE deleted_teams FORCE ROW LEVEL SECURITY;
CREATE POLICY deleted_teams_tenant ON deleted_teams
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
