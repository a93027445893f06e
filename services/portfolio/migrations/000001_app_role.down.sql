-- The role is cluster-wide and may serve other databases: it is left in place.
REVOKE SELECT ON TABLE schema_migrations FROM portfolio_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA portfolio REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM portfolio_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA portfolio REVOKE USAGE, SELECT ON SEQUENCES FROM portfolio_app;
REVOKE USAGE ON SCHEMA portfolio FROM portfolio_app;
