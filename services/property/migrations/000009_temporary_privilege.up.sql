-- The bulk import stages each batch in a temporary table (COPY cannot
-- write a table with row-level security), so the service role needs the
-- TEMPORARY privilege on the database. PostgreSQL gives it to PUBLIC by
-- default, but hardened databases revoke that; grant it to property_app
-- itself so imports do not depend on the default. The grant needs the
-- database's owner (or the privilege with GRANT OPTION): a migration role
-- without it gets a warning, and the operator grants it by hand.
DO $$
BEGIN
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO property_app', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'property: cannot grant TEMPORARY on database % to property_app; bulk imports need it: GRANT TEMPORARY ON DATABASE % TO property_app',
        current_database(), current_database();
END
$$;
