-- The gateway's schema and role. The idempotency keys table comes from
-- pkg/idempotency's own migrations, applied after these. Runs with
-- search_path = gateway, as the owner role.

-- The NOLOGIN group role the gateway runs as. Roles are cluster-wide, so it
-- may already exist (another database, or the dev scripts created it).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gateway_app') THEN
        CREATE ROLE gateway_app NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL; -- created concurrently
END
$$;

GRANT USAGE ON SCHEMA gateway TO gateway_app;
-- Tables created later by the owner in this schema are usable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA gateway GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gateway_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA gateway GRANT USAGE, SELECT ON SEQUENCES TO gateway_app;
-- `gateway serve` checks the schema version at start, as gateway_app.
GRANT SELECT ON gateway.schema_migrations TO gateway_app;
