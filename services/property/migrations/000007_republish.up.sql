-- What `property republish` needs to find every organisation with
-- properties (see docs/architecture.md, property: Republishing). property
-- has no organisations table, and row-level security shows the service
-- role one organisation at a time; this function returns the distinct
-- organisation ids of properties (ids only, a page at a time), skipping
-- from one organisation to the next through the (org_id, …) indexes
-- instead of reading every property. The owner gets a read policy for the
-- function's sake, as identity's login_lookup has (the owner could lift
-- the policies anyway, so this grants it nothing new).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY properties_republish ON properties FOR SELECT TO %I USING (true)', current_user);
END
$$;

CREATE FUNCTION property_org_ids_after(p_after uuid, p_limit integer)
RETURNS SETOF uuid
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE orgs (org_id) AS (
        (SELECT p.org_id FROM property.properties p WHERE p.org_id > p_after ORDER BY p.org_id LIMIT 1)
        UNION ALL
        SELECT (SELECT p.org_id FROM property.properties p WHERE p.org_id > o.org_id ORDER BY p.org_id LIMIT 1)
        FROM orgs o
        WHERE o.org_id IS NOT NULL
    )
    SELECT org_id FROM orgs WHERE org_id IS NOT NULL
    LIMIT least(greatest(p_limit, 0), 1000)
$$;
REVOKE ALL ON FUNCTION property_org_ids_after(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION property_org_ids_after(uuid, integer) TO property_app;
