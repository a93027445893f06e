-- The role itself stays: it is cluster-wide and other databases may use it.
REVOKE SELECT ON TABLE schema_migrations FROM identity_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA identity REVOKE USAGE, SELECT ON SEQUENCES FROM identity_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA identity REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM identity_app;
REVOKE USAGE ON SCHEMA identity FROM identity_app;
