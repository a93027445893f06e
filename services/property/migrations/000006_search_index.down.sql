-- Back to migration 2's search: the weighted document on properties, the
-- copy in property_search kept by a row trigger, search_matches().
DROP FUNCTION IF EXISTS search_page(text, text[], text[], text, text, bigint, bigint, integer, integer, integer, integer,
    double precision[], boolean, double precision, uuid, integer);
DROP TRIGGER IF EXISTS properties_search_insert ON properties;
DROP TRIGGER IF EXISTS properties_search_update ON properties;
DROP FUNCTION IF EXISTS property_search_sync();
DROP TABLE IF EXISTS property_search_words;
DROP TABLE IF EXISTS property_search;
DROP INDEX IF EXISTS properties_org_city_status_created_idx;
DROP INDEX IF EXISTS properties_org_city_status_price_idx;
DROP INDEX IF EXISTS properties_org_postal_status_price_idx;

ALTER TABLE properties ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, unparsed_address), 'A') ||
    setweight(to_tsvector('simple'::regconfig, coalesce(city, '') || ' ' || coalesce(postal_code, '')), 'B') ||
    setweight(to_tsvector('simple'::regconfig, coalesce(public_remarks, '')), 'C')
) STORED;

CREATE TABLE property_search (
    property_id      uuid     PRIMARY KEY REFERENCES properties (id) ON DELETE CASCADE,
    org_id           uuid     NOT NULL,
    unparsed_address text     NOT NULL,
    search_vector    tsvector NOT NULL
);
REVOKE ALL ON property_search FROM property_app;
CREATE INDEX property_search_vector_idx ON property_search USING gin (search_vector);
CREATE INDEX property_search_address_trgm_idx ON property_search USING gin (unparsed_address public.gin_trgm_ops);

CREATE FUNCTION property_search_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO property.property_search (property_id, org_id, unparsed_address, search_vector)
    VALUES (NEW.id, NEW.org_id, NEW.unparsed_address, NEW.search_vector)
    ON CONFLICT (property_id) DO UPDATE
        SET org_id = EXCLUDED.org_id, unparsed_address = EXCLUDED.unparsed_address, search_vector = EXCLUDED.search_vector;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION property_search_sync() FROM PUBLIC;
CREATE TRIGGER properties_search_sync AFTER INSERT OR UPDATE OF org_id, unparsed_address, city, postal_code, public_remarks
    ON properties FOR EACH ROW EXECUTE FUNCTION property_search_sync();

CREATE FUNCTION search_matches(q tsquery, t text)
RETURNS TABLE (property_id uuid, score double precision)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET pg_trgm.word_similarity_threshold = 0.4
AS $$
    SELECT s.property_id,
           2 * ts_rank_cd(s.search_vector, q)::float8 + public.word_similarity(t, s.unparsed_address)::float8
    FROM property.property_search s
    WHERE s.org_id = NULLIF(current_setting('app.org_id', true), '')::uuid
      AND (s.search_vector @@ q OR t OPERATOR(public.<%) s.unparsed_address)
$$;
REVOKE ALL ON FUNCTION search_matches(tsquery, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION search_matches(tsquery, text) TO property_app;

-- As in the up migration: the owner sees every organisation's rows only
-- while the force is lifted.
ALTER TABLE properties NO FORCE ROW LEVEL SECURITY;
INSERT INTO property_search (property_id, org_id, unparsed_address, search_vector)
SELECT id, org_id, unparsed_address, search_vector FROM properties;
ALTER TABLE properties FORCE ROW LEVEL SECURITY;
-- btree_gin stays: other schemas of the database may use it.
