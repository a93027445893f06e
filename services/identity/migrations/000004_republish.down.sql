DROP TABLE IF EXISTS deleted_teams;
DROP FUNCTION IF EXISTS organization_ids_after(uuid, integer);
DROP POLICY IF EXISTS organizations_republish ON organizations;
