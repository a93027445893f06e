-- What outreach's audience read model needs from crm (issue 10): a
-- contact's time zone and postal code (the SMS quiet hours are judged in
-- the recipient's zone: the stored zone first, else the postal code's),
-- lead tags (saved lead filters select by them), and the organisation
-- lister of `crm republish`.

-- An IANA zone name as time.LoadLocation accepts it (checked by the
-- service; the CHECK bounds the text only). NULL: unknown.
ALTER TABLE contacts ADD COLUMN time_zone text CHECK (time_zone <> '' AND char_length(time_zone) <= 64);
-- The person's own postal code (where they live), trimmed; the lead's
-- postal_code is where the lead is looking. NULL: unknown.
ALTER TABLE contacts ADD COLUMN postal_code text CHECK (postal_code <> '' AND char_length(postal_code) <= 16);

-- A set of short labels, normalised by the service (trimmed, lower case,
-- inner spaces collapsed, unique, sorted). A list filter reads it with @>,
-- which is not leakproof: under row-level security no index could serve
-- it, so there is none (the filter runs over the organisation's rows in
-- the list's keyset order; see the README, "Lead tags").
ALTER TABLE leads ADD COLUMN tags text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(tags) <= 20 AND array_position(tags, NULL) IS NULL);

-- `crm republish` without --org covers every organisation that has
-- contacts (every lead has one). Row-level security shows the service role
-- one organisation at a time, so the organisations are listed by this
-- SECURITY DEFINER function: ids only, a page at a time, skipping from one
-- organisation to the next through contacts' (org_id, …) indexes instead
-- of reading every contact (as property's property_org_ids_after). The
-- owner gets a read policy for the function's sake (the owner could lift
-- the policies anyway, so this grants it nothing new).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY contacts_republish ON contacts FOR SELECT TO %I USING (true)', current_user);
END
$$;

CREATE FUNCTION crm_org_ids_after(p_after uuid, p_limit integer)
RETURNS SETOF uuid
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE orgs (org_id) AS (
        (SELECT c.org_id FROM crm.contacts c WHERE c.org_id > p_after ORDER BY c.org_id LIMIT 1)
        UNION ALL
        SELECT (SELECT c.org_id FROM crm.contacts c WHERE c.org_id > o.org_id ORDER BY c.org_id LIMIT 1)
        FROM orgs o
        WHERE o.org_id IS NOT NULL
    )
    SELECT org_id FROM orgs WHERE org_id IS NOT NULL
    LIMIT least(greatest(p_limit, 0), 1000)
$$;
REVOKE ALL ON FUNCTION crm_org_ids_after(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm_org_ids_after(uuid, integer) TO crm_app;
