DROP TABLE IF EXISTS consent_log, bounce_streaks, suppressions, dnc_entries, unsubscribes;
DROP FUNCTION IF EXISTS consent_log_append_only();
