-- Retention: login attempts, refresh token rows and login throttles are
-- pruned by the service's retention worker (see docs/architecture.md,
-- identity: Retention). Row-level security shows the service role one
-- organisation at a time and never the unknown-email attempts (org_id
-- NULL), so the deletes run in SECURITY DEFINER functions owned by the
-- migration owner, as login_lookup does.
--
-- The functions take how long to keep rows, never a point in time: the
-- cut-off is the database's now() minus that interval, floored, so the
-- service role cannot use them to delete recent rows (a future cut-off)
-- or the history of other organisations beyond the retention. Each call
-- deletes at most one batch (p_limit clamped to 1..10000) so a backlog is
-- worked off in short transactions that never hold many row locks.

-- A non-superuser owner is subject to FORCE ROW LEVEL SECURITY too; it gets
-- read and delete policies on the two tenant tables for the functions' sake
-- (the owner could lift the policies anyway, so this grants it nothing new).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY login_attempts_retention_read ON login_attempts FOR SELECT TO %I USING (true)', current_user);
    EXECUTE format('CREATE POLICY login_attempts_retention_delete ON login_attempts FOR DELETE TO %I USING (true)', current_user);
    EXECUTE format('CREATE POLICY refresh_tokens_retention_read ON refresh_tokens FOR SELECT TO %I USING (true)', current_user);
    EXECUTE format('CREATE POLICY refresh_tokens_retention_delete ON refresh_tokens FOR DELETE TO %I USING (true)', current_user);
END
$$;

CREATE INDEX login_attempts_created_idx ON login_attempts (created_at);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_revoked_idx ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX login_throttles_updated_idx ON login_throttles (updated_at);

-- Attempts older than p_keep (at least one day), of every organisation and
-- of unknown emails alike.
CREATE FUNCTION prune_login_attempts(p_keep interval, p_limit integer)
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = identity, pg_temp
AS $$
    WITH doomed AS (
        SELECT a.id FROM identity.login_attempts a
        WHERE a.created_at < now() - greatest(p_keep, interval '1 day')
        LIMIT least(greatest(p_limit, 1), 10000)
    ), gone AS (
        DELETE FROM identity.login_attempts a USING doomed d WHERE a.id = d.id RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

-- Refresh token rows whose token can no longer be presented, p_keep (at
-- least one hour, beyond the verifiers' 30 s leeway) after that moment:
--   * expired: the JWT check refuses the token before its row is read;
--   * revoked, in a family with no live token left (none unrevoked and
--     unexpired): presenting it gets the same 401 from a missing row as
--     from a revoked one, and there is nothing left to revoke.
-- A used (rotated) or revoked token of a family that still has a live
-- token stays until it expires: presenting it is a reuse, which must find
-- the row to revoke the family.
CREATE FUNCTION prune_refresh_tokens(p_keep interval, p_limit integer)
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = identity, pg_temp
AS $$
    WITH doomed AS (
        SELECT t.id FROM identity.refresh_tokens t
        WHERE t.expires_at < now() - greatest(p_keep, interval '1 hour')
        UNION
        SELECT t.id FROM identity.refresh_tokens t
        WHERE t.revoked_at < now() - greatest(p_keep, interval '1 hour')
          AND NOT EXISTS (
              SELECT 1 FROM identity.refresh_tokens l
              WHERE l.family_id = t.family_id AND l.revoked_at IS NULL AND l.expires_at > now())
        LIMIT least(greatest(p_limit, 1), 10000)
    ), gone AS (
        DELETE FROM identity.refresh_tokens t USING doomed d WHERE t.id = d.id RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

-- Throttles unchanged for p_keep (at least a day, the lockout memory) and
-- not locked: a lockout that is still running is never shortened.
-- login_throttles has no row-level security, but the function keeps the
-- rules (no running lockout, the floor) in one place.
CREATE FUNCTION prune_login_throttles(p_keep interval, p_limit integer)
RETURNS integer
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = identity, pg_temp
AS $$
    WITH doomed AS (
        SELECT th.email_key FROM identity.login_throttles th
        WHERE th.updated_at < now() - greatest(p_keep, interval '1 day')
          AND (th.locked_until IS NULL OR th.locked_until <= now())
        LIMIT least(greatest(p_limit, 1), 10000)
        FOR UPDATE SKIP LOCKED
    ), gone AS (
        DELETE FROM identity.login_throttles th USING doomed d
        WHERE th.email_key = d.email_key
          AND (th.locked_until IS NULL OR th.locked_until <= now())
        RETURNING 1
    )
    SELECT count(*)::integer FROM gone
$$;

REVOKE ALL ON FUNCTION prune_login_attempts(interval, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION prune_refresh_tokens(interval, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION prune_login_throttles(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prune_login_attempts(interval, integer) TO identity_app;
GRANT EXECUTE ON FUNCTION prune_refresh_tokens(interval, integer) TO identity_app;
GRANT EXECUTE ON FUNCTION prune_login_throttles(interval, integer) TO identity_app;
