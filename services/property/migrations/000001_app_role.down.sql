-- The role is cluster-wide and may serve other databases: it is not dropped.
REVOKE SELECT ON TABLE schema_migrations FROM property_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA property REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM property_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA property REVOKE USAGE, SELECT ON SEQUENCES FROM property_app;
REVOKE USAGE ON SCHEMA property FROM property_app;
