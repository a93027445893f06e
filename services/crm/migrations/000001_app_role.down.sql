-- The role is cluster-wide and may serve other databases: it is left in place.
REVOKE SELECT ON TABLE schema_migrations FROM crm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA crm REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM crm_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA crm REVOKE USAGE, SELECT ON SEQUENCES FROM crm_app;
REVOKE USAGE ON SCHEMA crm FROM crm_app;
