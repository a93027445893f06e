-- platform's group role. The service connects as a login role that is a member of
-- platform_app (dev: platform_svc) or assumes it with SET ROLE (tests, DB_ROLE=platform_app).
-- platform_app owns nothing, so FORCE ROW LEVEL SECURITY always applies to it.
-- Roles are cluster-wide: another database may have created it already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'platform_app') THEN
        CREATE ROLE platform_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created concurrently by another migration run
END
$$;

GRANT USAGE ON SCHEMA platform TO platform_app;

-- Every table and sequence the owner creates in the schema from now on (these
-- migrations and pkg/events' outbox/inbox) is usable by the service.
ALTER DEFAULT PRIVILEGES IN SCHEMA platform GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO platform_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA platform GRANT USAGE, SELECT ON SEQUENCES TO platform_app;

-- serve checks the schema version before it starts, as the service role.
GRANT SELECT ON TABLE schema_migrations TO platform_app;
