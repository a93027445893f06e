-- Ended sessions: the session sync (identity's SessionSync worker) announces
-- every session that ended recently to the verifiers again, so a revocation
-- whose announcement failed after its commit (Redis down) still reaches
-- them. Row-level security shows the service role one organisation at a
-- time, so the read runs in a SECURITY DEFINER function owned by the
-- migration owner, as the retention functions do (the owner's read policy
-- on refresh_tokens comes from migration 000005).
--
-- It returns session (family) ids and revocation times only, of families
-- revoked within p_within, capped at two hours (longer than any access
-- token lives: ACCESS_TOKEN_TTL is at most one hour), and at most 100 000
-- of them, the latest first.
CREATE FUNCTION ended_sessions(p_within interval)
RETURNS TABLE (family_id uuid, revoked_at timestamptz)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = identity, pg_temp
AS $$
    SELECT t.family_id, max(t.revoked_at)
    FROM identity.refresh_tokens t
    WHERE t.revoked_at > now() - least(greatest(p_within, interval '0'), interval '2 hours')
    GROUP BY t.family_id
    ORDER BY max(t.revoked_at) DESC
    LIMIT 100000
$$;
REVOKE ALL ON FUNCTION ended_sessions(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ended_sessions(interval) TO identity_app;
