DROP TABLE IF EXISTS outreach_events;
