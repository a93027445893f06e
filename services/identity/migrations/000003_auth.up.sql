-- Authentication state: refresh token families, login attempts, the
-- pre-authentication login throttle and the cross-organisation login lookup.

-- One row per refresh token (id = the token's jti). Tokens of one login
-- share family_id; rotation sets used_at and replaced_by on the old row.
CREATE TABLE refresh_tokens (
    id            uuid        PRIMARY KEY,
    org_id        uuid        NOT NULL,
    user_id       uuid        NOT NULL,
    family_id     uuid        NOT NULL,
    issued_at     timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    replaced_by   uuid,
    revoked_at    timestamptz,
    revoke_reason text,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY refresh_tokens_tenant ON refresh_tokens
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

-- Every login attempt. A login with an unknown email has no organisation:
-- such rows may be written without app.org_id (WITH CHECK allows a NULL
-- org_id) but are never readable through the service role; they are there
-- for the owner's security analysis.
CREATE TABLE login_attempts (
    id         uuid        PRIMARY KEY,
    org_id     uuid        REFERENCES organizations (id),
    user_id    uuid,
    email_key  text        NOT NULL,
    ip         inet,
    user_agent text        CHECK (char_length(user_agent) <= 512),
    success    boolean     NOT NULL,
    reason     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX login_attempts_org_created_idx ON login_attempts (org_id, created_at);
CREATE INDEX login_attempts_email_key_idx ON login_attempts (email_key, created_at);
ALTER TABLE login_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY login_attempts_tenant ON login_attempts
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id IS NULL OR org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

-- The login throttle, keyed by the SHA-256 of the normalised email. It is
-- consulted before the organisation is known, and must behave the same for
-- emails that have no account, so it is deliberately NOT a tenant table: no
-- org_id, no row-level security. It holds no personal data (a hash, counters
-- and times). This and organizations' id policy are the two exceptions to
-- "every table has org_id".
CREATE TABLE login_throttles (
    email_key       text        PRIMARY KEY,
    failures        integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
    lockouts        integer     NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
    last_failure_at timestamptz,
    locked_until    timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Login needs a user's organisation before it can set app.org_id, and row-
-- level security hides every user until then. This function, owned by the
-- migration owner, returns the minimum for one normalised email and nothing
-- else; the service role may execute it but still cannot read users.
-- A non-superuser owner is subject to FORCE ROW LEVEL SECURITY too, so the
-- owner (and only the owner) gets a read policy on users for the function's
-- sake; the owner could disable RLS anyway, so this grants it nothing new.
DO $$
BEGIN
    EXECUTE format('CREATE POLICY users_login_lookup ON users FOR SELECT TO %I USING (true)', current_user);
END
$$;

CREATE FUNCTION login_lookup(p_email text)
RETURNS TABLE (user_id uuid, org_id uuid, password_hash text, status text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = identity, pg_temp
AS $$
    SELECT u.id, u.org_id, u.password_hash, u.status
    FROM identity.users u
    WHERE u.email = p_email AND u.deleted_at IS NULL
$$;
REVOKE ALL ON FUNCTION login_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION login_lookup(text) TO identity_app;
