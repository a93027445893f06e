DROP TABLE IF EXISTS deliverability_events, outreach_attempts, campaign_targets, campaign_audience_leads,
    campaign_steps, campaigns, sms_templates, email_templates, settings;
