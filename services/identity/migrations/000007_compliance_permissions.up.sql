-- Outreach's compliance permissions (the DNC list, the consent log) joined
-- the catalogue after organisations existed: their system roles get them as
-- a new organisation's do (domain.SystemRoles): sales compliance:read and
-- compliance:write, agent and viewer compliance:read. Roles an admin made
-- are left alone. FORCE ROW LEVEL SECURITY would hide every row from the
-- owner running this (no app.org_id), so it is lifted for the update only,
-- inside this migration's transaction.
ALTER TABLE roles NO FORCE ROW LEVEL SECURITY;

UPDATE roles r
SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(r.permissions || add.perms) AS p ORDER BY p),
    updated_at  = now()
FROM (VALUES ('sales', ARRAY['compliance:read', 'compliance:write']),
             ('agent', ARRAY['compliance:read']),
             ('viewer', ARRAY['compliance:read'])) AS add (name, perms)
WHERE r.is_system AND r.name = add.name AND NOT r.permissions @> add.perms;

ALTER TABLE roles FORCE ROW LEVEL SECURITY;
