DROP TABLE IF EXISTS crm_settings, assignment_rules;
ALTER TABLE lead_changes DROP COLUMN IF EXISTS rule_id;
ALTER TABLE leads DROP COLUMN IF EXISTS postal_code;
