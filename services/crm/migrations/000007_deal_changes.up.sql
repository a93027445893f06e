-- Changes of a deal's own fields made by PUT /deals/{id}, for the deal's
-- timeline: one row per changed field, old -> new as JSON values (null for
-- none), who and when, written in the update's transaction. Stage moves
-- stay in deal_stage_history (with their own from/to stage columns); a
-- generic change table would blur that and lose the foreign keys.
CREATE TABLE deal_changes (
    id         uuid        PRIMARY KEY,
    org_id     uuid        NOT NULL,
    deal_id    uuid        NOT NULL,
    field      text        NOT NULL CHECK (field IN ('title', 'value_cents', 'currency', 'property_id', 'assignee_id',
                                                     'expected_close_date')),
    old_value  jsonb       NOT NULL,
    new_value  jsonb       NOT NULL,
    actor_id   uuid,
    changed_at timestamptz NOT NULL,
    FOREIGN KEY (org_id, deal_id) REFERENCES deals (org_id, id)
);
CREATE INDEX deal_changes_deal_idx ON deal_changes (deal_id, changed_at DESC, id DESC);

ALTER TABLE deal_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE deal_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY deal_changes_tenant ON deal_changes
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
