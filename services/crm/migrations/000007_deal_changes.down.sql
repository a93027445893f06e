DROP TABLE IF EXISTS deal_changes;
