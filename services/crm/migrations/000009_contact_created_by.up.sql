-- Who created a contact (POST /contacts, a lead form that made the person,
-- a lead import): with agents_see_only_assigned an agent sees the contacts
-- of its leads and, until a contact has a lead, the contacts it created
-- (docs/architecture.md, crm, "Agent visibility"). NULL for contacts made
-- before this migration or by the system: they are seen through their
-- leads only.
ALTER TABLE contacts ADD COLUMN created_by uuid;
