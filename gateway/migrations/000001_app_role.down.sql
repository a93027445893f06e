-- The role gateway_app is left in place: roles are cluster-wide and other
-- databases may use it.
REVOKE ALL ON SCHEMA gateway FROM gateway_app;
