DROP FUNCTION IF EXISTS ended_sessions(interval);
