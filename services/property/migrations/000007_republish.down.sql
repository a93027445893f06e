DROP FUNCTION IF EXISTS property_org_ids_after(uuid, integer);
DROP POLICY IF EXISTS properties_republish ON properties;
