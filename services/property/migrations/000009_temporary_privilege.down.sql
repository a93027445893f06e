DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM property_app', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'property: cannot revoke TEMPORARY on database % from property_app', current_database();
END
$$;
