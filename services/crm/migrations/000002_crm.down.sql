DROP TABLE IF EXISTS deal_stage_history, deals, deal_stages, lead_scores, lead_changes,
    lead_notes, lead_activities, leads, lead_sources, contacts;
