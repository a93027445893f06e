-- The role is cluster-wide and may serve other databases: it is left in place.
REVOKE SELECT ON TABLE schema_migrations FROM platform_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA platform REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM platform_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA platform REVOKE USAGE, SELECT ON SEQUENCES FROM platform_app;
REVOKE USAGE ON SCHEMA platform FROM platform_app;
