-- The role is cluster-wide and may serve other databases: it is left in place.
REVOKE SELECT ON TABLE schema_migrations FROM outreach_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA outreach REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM outreach_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA outreach REVOKE USAGE, SELECT ON SEQUENCES FROM outreach_app;
REVOKE USAGE ON SCHEMA outreach FROM outreach_app;
