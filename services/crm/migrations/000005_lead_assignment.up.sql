-- Lead assignment rules, the organisation's crm settings, the lead's postal
-- code (what postal-code rules match) and the rule behind an assignment in
-- the lead's timeline.

ALTER TABLE leads ADD COLUMN postal_code text CHECK (postal_code <> '' AND char_length(postal_code) <= 16);
-- The assignment rule that chose the assignee of an 'assigned' entry (NULL:
-- assigned explicitly). Not a foreign key: the history outlives the rule.
ALTER TABLE lead_changes ADD COLUMN rule_id uuid;

-- Ordered rules: a new lead without an explicit assignee goes to the target
-- of the first enabled rule (by position, then id) whose every condition
-- holds and whose target has an active user.
CREATE TABLE assignment_rules (
    id                   uuid        PRIMARY KEY,
    org_id               uuid        NOT NULL,
    name                 text        NOT NULL CHECK (name <> '' AND char_length(name) <= 100),
    position             integer     NOT NULL CHECK (position >= 0),
    enabled              boolean     NOT NULL,
    -- Conditions; an empty list or NULL bound is no condition. Postal codes
    -- are stored normalised (upper case, no spaces or hyphens).
    postal_codes         text[]      NOT NULL DEFAULT '{}',
    postal_code_prefixes text[]      NOT NULL DEFAULT '{}',
    min_price_cents      bigint      CHECK (min_price_cents >= 0),
    max_price_cents      bigint      CHECK (max_price_cents >= 0),
    source_ids           uuid[]      NOT NULL DEFAULT '{}',
    -- Target: one user, or round-robin over a team's active members.
    target_user_id       uuid,
    target_team_id       uuid,
    -- Round-robin cursor: the member who got this rule's latest lead. Read
    -- FOR UPDATE in the lead's transaction, so concurrent leads take turns.
    last_assignee_id     uuid,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    CONSTRAINT assignment_rules_one_target CHECK ((target_user_id IS NULL) <> (target_team_id IS NULL)),
    CONSTRAINT assignment_rules_price_band CHECK (min_price_cents IS NULL OR max_price_cents IS NULL OR min_price_cents <= max_price_cents)
);
CREATE INDEX assignment_rules_org_position_idx ON assignment_rules (org_id, position, id);

-- One row per organisation that changed a setting; no row means defaults.
CREATE TABLE crm_settings (
    org_id                   uuid        PRIMARY KEY,
    agents_see_only_assigned boolean     NOT NULL DEFAULT false,
    updated_at               timestamptz NOT NULL
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['assignment_rules', 'crm_settings']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON %I
            USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
            WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)$p$, t || '_tenant', t);
    END LOOP;
END
$$;
