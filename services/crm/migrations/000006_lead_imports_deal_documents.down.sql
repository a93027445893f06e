DROP FUNCTION IF EXISTS refresh_import_statistics();
DROP INDEX IF EXISTS leads_active_contact_idx;
DROP TABLE IF EXISTS deal_documents;
DROP TABLE IF EXISTS lead_imports;
