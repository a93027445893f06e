-- outreach's group role. The service connects as a login role that is a member of
-- outreach_app (dev: outreach_svc) or assumes it with SET ROLE (tests, DB_ROLE=outreach_app).
-- outreach_app owns nothing, so FORCE ROW LEVEL SECURITY always applies to it.
-- Roles are cluster-wide: another database may have created it already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'outreach_app') THEN
        CREATE ROLE outreach_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created concurrently by another migration run
END
$$;

GRANT USAGE ON SCHEMA outreach TO outreach_app;

-- Every table and sequence the owner creates in the schema from now on (these
-- migrations and pkg/events' outbox/inbox) is usable by the service.
ALTER DEFAULT PRIVILEGES IN SCHEMA outreach GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO outreach_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA outreach GRANT USAGE, SELECT ON SEQUENCES TO outreach_app;

-- serve checks the schema version before it starts, as the service role.
GRANT SELECT ON TABLE schema_migrations TO outreach_app;
