DROP TABLE IF EXISTS listing_snapshots;
DROP TABLE IF EXISTS listings;
DROP TABLE IF EXISTS property_history;
DROP FUNCTION IF EXISTS search_matches(tsquery, text);
DROP TABLE IF EXISTS property_search;
DROP TRIGGER IF EXISTS properties_search_sync ON properties;
DROP FUNCTION IF EXISTS property_search_sync();
DROP TABLE IF EXISTS properties;
-- pg_trgm stays: other schemas of the database may use it.
