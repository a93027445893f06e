DROP TABLE IF EXISTS audience_leads, audience_contacts;
