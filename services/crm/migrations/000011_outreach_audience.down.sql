DROP FUNCTION IF EXISTS crm_org_ids_after(uuid, integer);
DROP POLICY IF EXISTS contacts_republish ON contacts;
ALTER TABLE leads DROP COLUMN IF EXISTS tags;
ALTER TABLE contacts DROP COLUMN IF EXISTS postal_code, DROP COLUMN IF EXISTS time_zone;
