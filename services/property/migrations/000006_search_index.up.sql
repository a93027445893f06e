-- Search and list at a million properties per organisation (issue 3;
-- plans before and after in docs/architecture.md, "Row-level security and
-- indexes"; benchmark scripts/bench/property).

-- btree_gin puts the organisation beside the words in the trigram index of
-- property_search_words (a few thousand words per organisation: reading
-- all of an organisation's entries is cheap there). Trusted extension, in
-- public like pg_trgm.
CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public;

-- Lists. A list filters by city or postal code and status and a price
-- range, sorted by creation or price: equality columns first, then the sort
-- (and id, the keyset tiebreak), so a first page reads about limit rows in
-- order instead of every row of the city (measured at 1M rows: 480 ms
-- through properties_org_city_idx, which found 64 000 rows to keep 150).
-- Partial like the other keyset indexes: archived rows are hidden by
-- default; include_archived still has the plain city and postal indexes.
CREATE INDEX properties_org_city_status_created_idx ON properties (org_id, city_key, standard_status, created_at, id)
    WHERE archived_at IS NULL;
CREATE INDEX properties_org_city_status_price_idx ON properties (org_id, city_key, standard_status, list_price_cents, id)
    WHERE archived_at IS NULL;
CREATE INDEX properties_org_postal_status_price_idx ON properties (org_id, postal_code, standard_status, list_price_cents, id)
    WHERE archived_at IS NULL;

-- Search. Row-level security keeps every non-LEAKPROOF condition (@@,
-- pg_trgm's operators) off the indexes of properties, so search runs on a
-- side table without policy or grant, reached only through search_page()
-- below (SECURITY DEFINER, filtering by app.org_id like the policies). The
-- side table now carries the filter columns too: filters and the LIMIT run
-- inside its index scans, instead of after a join back to properties for
-- every text match (98 863 rows for "maple", 3.8 s at 1M rows).
DROP TRIGGER properties_search_sync ON properties;
DROP FUNCTION property_search_sync();
DROP FUNCTION search_matches(tsquery, text);
DROP TABLE property_search;
-- The weighted document is not ranked any more (see search_page); the side
-- table builds its own vectors, and properties rows get narrower.
ALTER TABLE properties DROP COLUMN search_vector;

CREATE TABLE property_search (
    property_id             uuid     NOT NULL REFERENCES properties (id) ON DELETE CASCADE,
    org_id                  uuid     NOT NULL,
    standard_status         text     NOT NULL,
    property_type           text     NOT NULL,
    city_key                text     NOT NULL,
    postal_code             text,
    list_price_cents        bigint   NOT NULL,
    bedrooms_total          integer,
    bathrooms_total_integer integer,
    latitude                double precision,
    longitude               double precision,
    archived                boolean  NOT NULL,
    unparsed_address        text     NOT NULL,
    -- Lexemes without positions ('simple': unstemmed, so "12 Map" is a
    -- prefix of "123 Maple"): the address alone, and the whole document
    -- (address, city, postal code, remarks).
    address_vector          tsvector NOT NULL,
    document_vector         tsvector NOT NULL
);
REVOKE ALL ON property_search FROM property_app;
-- No btree starts with property_id: with one, the planner walked the whole
-- table newest first (its order matches the heap's), filtering the
-- organisation and status row by row (116 666 rows for "cherry" in the
-- Closed ones, 95 ms). Cascading deletes find rows through a hash index.

-- The distinct words (three or more characters, with a letter) of each
-- organisation's addresses (address true) and whole documents (false). A
-- prefix ("vall") becomes the words it begins (valley): GIN then matches
-- whole entries and skips through them, where a prefix match first
-- collects every item of every matching entry (27 000 for "main"); a word
-- that begins nothing rules a tier out before it runs. A misspelled word
-- is corrected against the address words (trigram similarity over a few
-- thousand words) instead of comparing trigrams with every address ("live"
-- matched every "Drive": 8.7 s). Words only accumulate: one that no longer
-- occurs expands to nothing and costs nothing.
CREATE TABLE property_search_words (
    org_id  uuid    NOT NULL,
    word    text    NOT NULL,
    address boolean NOT NULL,
    PRIMARY KEY (org_id, word, address)
);
REVOKE ALL ON property_search_words FROM property_app;

-- Fill both from the existing rows, before their indexes exist (a bulk
-- build is faster than a million inserts). The migration role owns
-- properties, but FORCE ROW LEVEL SECURITY would show it no organisation's
-- rows: the force is lifted for this transaction's backfill only.
ALTER TABLE properties NO FORCE ROW LEVEL SECURITY;
INSERT INTO property_search (property_id, org_id, standard_status, property_type, city_key, postal_code,
    list_price_cents, bedrooms_total, bathrooms_total_integer, latitude, longitude, archived, unparsed_address,
    address_vector, document_vector)
SELECT p.id, p.org_id, p.standard_status, p.property_type, p.city_key, p.postal_code, p.list_price_cents,
    p.bedrooms_total, p.bathrooms_total_integer, p.latitude, p.longitude, p.archived_at IS NOT NULL, p.unparsed_address,
    strip(to_tsvector('simple', p.unparsed_address)),
    strip(to_tsvector('simple', concat_ws(' ', p.unparsed_address, p.city, p.postal_code, p.public_remarks)))
FROM properties p
ORDER BY p.created_at, p.id;
ALTER TABLE properties FORCE ROW LEVEL SECURITY;
INSERT INTO property_search_words (org_id, word, address)
SELECT DISTINCT s.org_id, w.word, v.address
FROM property_search s,
    LATERAL (VALUES (true, s.address_vector), (false, s.document_vector)) AS v (address, vector),
    unnest(tsvector_to_array(v.vector)) AS w (word)
WHERE char_length(w.word) >= 3 AND w.word ~ '[[:alpha:]]';

-- Newest first inside the organisation (and status): a frequent word is
-- found by walking these until a page is full. The address's lexemes ride
-- along, so the walk checks them in the index without reading the rows
-- (an index-only scan when no other filter needs the row).
ALTER TABLE property_search ADD PRIMARY KEY (org_id, property_id) INCLUDE (address_vector);
CREATE INDEX property_search_property_idx ON property_search USING hash (property_id);
CREATE INDEX property_search_org_status_idx ON property_search (org_id, standard_status, property_id)
    INCLUDE (address_vector) WHERE NOT archived;
-- A rarer word through its posting lists; the organisation and the
-- filters are checked on the rows found. Not in the index: as a btree_gin
-- column (org_id, status) or as a lexeme of the vectors, the organisation
-- is a posting list of a million items that GIN advances for every
-- candidate of the rare word, reading nearly all of its pages: 288 pages
-- and 7 ms for "339 & richmond" at 1M rows, 11 pages and 0.3 ms without.
-- When a word is frequent the walk above is cheaper, and the planner
-- chooses between them by the word's frequency.
CREATE INDEX property_search_text_idx ON property_search USING gin (address_vector, document_vector);
CREATE INDEX property_search_words_trgm_idx ON property_search_words USING gin (org_id, word public.gin_trgm_ops);

-- Both side tables follow properties in the writing transaction, one
-- statement-level trigger run per statement: a bulk import of thousands
-- of rows upserts them in one set-based statement, and a statement's new
-- words go in sorted order, so concurrent writers meet on them in one order.
CREATE FUNCTION property_search_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    WITH r AS (
        SELECT n.*, strip(to_tsvector('simple', n.unparsed_address)) AS address_vector,
            strip(to_tsvector('simple', concat_ws(' ', n.unparsed_address, n.city, n.postal_code, n.public_remarks))) AS document_vector
        FROM new_rows n
    ), upserted AS (
        INSERT INTO property.property_search (property_id, org_id, standard_status, property_type, city_key, postal_code,
            list_price_cents, bedrooms_total, bathrooms_total_integer, latitude, longitude, archived, unparsed_address,
            address_vector, document_vector)
        SELECT r.id, r.org_id, r.standard_status, r.property_type, r.city_key, r.postal_code, r.list_price_cents,
            r.bedrooms_total, r.bathrooms_total_integer, r.latitude, r.longitude, r.archived_at IS NOT NULL, r.unparsed_address,
            r.address_vector, r.document_vector
        FROM r
        -- A property never changes organisation (its listings' foreign key
        -- holds the pair), so (org_id, id) finds its row.
        ON CONFLICT (org_id, property_id) DO UPDATE SET standard_status = EXCLUDED.standard_status,
            property_type = EXCLUDED.property_type, city_key = EXCLUDED.city_key, postal_code = EXCLUDED.postal_code,
            list_price_cents = EXCLUDED.list_price_cents, bedrooms_total = EXCLUDED.bedrooms_total,
            bathrooms_total_integer = EXCLUDED.bathrooms_total_integer, latitude = EXCLUDED.latitude,
            longitude = EXCLUDED.longitude, archived = EXCLUDED.archived, unparsed_address = EXCLUDED.unparsed_address,
            address_vector = EXCLUDED.address_vector, document_vector = EXCLUDED.document_vector
    )
    INSERT INTO property.property_search_words (org_id, word, address)
    SELECT DISTINCT r.org_id, w.word, v.address
    FROM r, LATERAL (VALUES (true, r.address_vector), (false, r.document_vector)) AS v (address, vector),
        unnest(tsvector_to_array(v.vector)) AS w (word)
    WHERE char_length(w.word) >= 3 AND w.word ~ '[[:alpha:]]'
    ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION property_search_sync() FROM PUBLIC;
CREATE TRIGGER properties_search_insert AFTER INSERT ON properties
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION property_search_sync();
CREATE TRIGGER properties_search_update AFTER UPDATE ON properties
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION property_search_sync();

-- One page of the caller's organisation's search results: (property_id,
-- score), best first, at most n rows after the keyset position
-- (after_score, after_id). Tiers, best first:
--   5  every term is a whole word of the address ("maple" finds Maple
--      Street before Maples Court);
--   4  so is every term but the last, which begins a word ("108 par" finds
--      108 Park Lane);
--   3  every term begins a word of the address ("108 par": 1080 Parkway;
--      "12 map": 123 Maple Street);
--   2  every term begins a word of the address, city, postal code or
--      remarks;
--   < 1 fuzzy: the address is similar to the query (pg_trgm word
--      similarity >= 0.4, which is the score) and each term with letters
--      begins or resembles (trigram similarity >= 0.3: "jacksno" ->
--      jackson) one of the organisation's address words; the best of the
--      1000 newest such candidates.
-- Inside a tier the newest property comes first: that order is an index's,
-- so a page stops after n rows instead of ranking every match, and a tier
-- runs only if the ones before leave the page short (or not at all when
-- the words show it cannot add anything).
--
-- Review notes (SECURITY DEFINER): the organisation is app.org_id, never a
-- parameter; no input is ever concatenated into SQL: the dynamic statement
-- is assembled from constant fragments chosen by which filters are
-- present, every value travels as an EXECUTE ... USING parameter, and terms
-- and words reach tsquery only as quote_literal()-ed lexemes (a term never
-- holds a space, quote or backslash). search_path is pinned.
CREATE FUNCTION search_page(
    q                text,               -- at most 8 terms of letters and digits, separated by spaces
    statuses         text[],
    types            text[],
    city_key         text,
    postal_code      text,
    min_price        bigint,
    max_price        bigint,
    min_beds         integer,
    max_beds         integer,
    min_baths        integer,
    max_baths        integer,
    bbox             double precision[], -- {min_lon, min_lat, max_lon, max_lat}
    include_archived boolean,
    after_score      double precision,   -- the previous page's last row, or NULL
    after_id         uuid,
    n                integer)
RETURNS TABLE (property_id uuid, score double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET pg_trgm.similarity_threshold = 0.3
ROWS 50
AS $$
DECLARE
    org          constant uuid := NULLIF(current_setting('app.org_id', true), '')::uuid;
    terms        text[] := array_remove(string_to_array(q, ' '), '');
    last         integer;
    term         text;
    word         tsquery;  -- the term as a whole word
    begins       tsquery;  -- the address words the term begins
    doc_begins   tsquery;  -- the document words the term begins
    alts         tsquery;  -- begins, or resembles (fuzzy)
    whole        tsquery;  -- tier 5: every term a whole word
    last_begins  tsquery;  -- tier 4: and the last one beginning a word
    all_begin    tsquery;  -- tier 3: every term beginning an address word
    doc_begin    tsquery;  -- tier 2: every term beginning a document word
    fuzzy        tsquery;
    addr_more    text[];   -- address words the term begins, itself excepted
    doc_more     text[];
    neighbours   text[];
    in_addr      boolean;  -- the term begins an address word
    in_doc       boolean;
    last_wider   boolean := false; -- tier 4 can add to tier 5
    others_wider boolean := false; -- tier 3 can add to tier 4
    no_addr      boolean := false; -- tiers 5 to 3 cannot match
    no_doc       boolean := false; -- tier 2 cannot match
    scores       integer[] := '{}';
    conds        text[] := '{}';
    f            text := 's.org_id = $1';
    branches     text[] := '{}';
BEGIN
    IF org IS NULL OR n IS NULL OR n < 1 OR n > 1000 THEN
        RETURN;
    END IF;
    last := coalesce(cardinality(terms), 0);
    IF last NOT BETWEEN 1 AND 8 THEN
        RAISE EXCEPTION 'search_page: want 1 to 8 terms' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN 1 .. last LOOP
        term := terms[i];
        -- The caller sends letters and digits (domain.ParseSearch). Any
        -- other term would still be one quoted lexeme; these are refused
        -- because they could not be one.
        IF term ~ '[[:space:][:cntrl:]''\\]' OR char_length(term) > 32 THEN
            RAISE EXCEPTION 'search_page: a term must be letters and digits' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        word := to_tsquery('simple', quote_literal(term));
        begins := to_tsquery('simple', quote_literal(term) || ':*');
        doc_begins := begins;
        -- A number in the fuzzy tier is taken whole unless it is the last
        -- term, still being typed.
        alts := CASE WHEN i < last THEN word ELSE begins END;
        addr_more := NULL;
        doc_more := NULL;
        neighbours := NULL;
        in_addr := true;
        IF term ~ '[[:alpha:]]' THEN
            SELECT array_agg(w.word ORDER BY w.word) FILTER (WHERE w.address AND w.word LIKE term || '_%'),
                   array_agg(w.word ORDER BY w.word) FILTER (WHERE NOT w.address AND w.word LIKE term || '_%'),
                   array_agg(w.word ORDER BY w.word) FILTER (WHERE w.address AND w.word NOT LIKE term || '%'),
                   coalesce(bool_or(w.address AND w.word LIKE term || '%'), false),
                   coalesce(bool_or(NOT w.address AND w.word LIKE term || '%'), false)
            INTO addr_more, doc_more, neighbours, in_addr, in_doc
            FROM property.property_search_words w
            WHERE w.org_id = org AND (w.word LIKE term || '%' OR (w.address AND w.word OPERATOR(public.%) term));
            -- The word list holds every word of three characters or more; a
            -- shorter term, or one that begins too many words, stays a prefix.
            IF char_length(term) >= 3 THEN
                no_addr := no_addr OR NOT in_addr;
                no_doc := no_doc OR NOT in_doc;
                IF coalesce(cardinality(addr_more), 0) <= 50 THEN
                    begins := word;
                    FOR j IN 1 .. coalesce(cardinality(addr_more), 0) LOOP
                        begins := begins || to_tsquery('simple', quote_literal(addr_more[j]));
                    END LOOP;
                END IF;
                IF coalesce(cardinality(doc_more), 0) <= 50 THEN
                    doc_begins := word;
                    FOR j IN 1 .. coalesce(cardinality(doc_more), 0) LOOP
                        doc_begins := doc_begins || to_tsquery('simple', quote_literal(doc_more[j]));
                    END LOOP;
                END IF;
            END IF;
            alts := begins;
            FOR j IN 1 .. coalesce(cardinality(neighbours), 0) LOOP
                alts := alts || to_tsquery('simple', quote_literal(neighbours[j]));
            END LOOP;
        END IF;
        -- Does beginning a word add anything to being one? (A number or a
        -- short term stays a prefix; a word, if it begins longer ones.)
        IF char_length(term) < 3 OR term !~ '[[:alpha:]]' OR addr_more IS NOT NULL THEN
            IF i < last THEN others_wider := true; ELSE last_wider := true; END IF;
        END IF;
        last_begins := CASE WHEN whole IS NULL THEN begins ELSE whole && begins END;
        whole := CASE WHEN whole IS NULL THEN word ELSE whole && word END;
        all_begin := CASE WHEN all_begin IS NULL THEN begins ELSE all_begin && begins END;
        doc_begin := CASE WHEN doc_begin IS NULL THEN doc_begins ELSE doc_begin && doc_begins END;
        -- A word that neither begins nor resembles an address word of the
        -- organisation cannot narrow the fuzzy candidates: left out.
        IF term !~ '[[:alpha:]]' OR in_addr OR neighbours IS NOT NULL THEN
            fuzzy := CASE WHEN fuzzy IS NULL THEN alts ELSE fuzzy && alts END;
        END IF;
    END LOOP;

    IF NOT include_archived THEN f := f || ' AND NOT s.archived'; END IF;
    -- One status as an equality: an ordered index scan can then stop at n.
    IF cardinality(statuses) = 1 THEN f := f || ' AND s.standard_status = ($8)[1]';
    ELSIF cardinality(statuses) > 1 THEN f := f || ' AND s.standard_status = ANY ($8)'; END IF;
    IF cardinality(types) > 0 THEN f := f || ' AND s.property_type = ANY ($9)'; END IF;
    IF city_key IS NOT NULL THEN f := f || ' AND s.city_key = $10'; END IF;
    IF postal_code IS NOT NULL THEN f := f || ' AND s.postal_code = $11'; END IF;
    IF min_price IS NOT NULL THEN f := f || ' AND s.list_price_cents >= $12'; END IF;
    IF max_price IS NOT NULL THEN f := f || ' AND s.list_price_cents <= $13'; END IF;
    IF min_beds IS NOT NULL THEN f := f || ' AND s.bedrooms_total >= $14'; END IF;
    IF max_beds IS NOT NULL THEN f := f || ' AND s.bedrooms_total <= $15'; END IF;
    IF min_baths IS NOT NULL THEN f := f || ' AND s.bathrooms_total_integer >= $16'; END IF;
    IF max_baths IS NOT NULL THEN f := f || ' AND s.bathrooms_total_integer <= $17'; END IF;
    IF cardinality(bbox) = 4 THEN
        f := f || ' AND s.longitude BETWEEN ($18)[1] AND ($18)[3] AND s.latitude BETWEEN ($18)[2] AND ($18)[4]';
    END IF;

    IF NOT no_addr THEN
        scores := scores || 5;
        conds := conds || 's.address_vector @@ $2'::text;
        IF last_wider THEN
            scores := scores || 4;
            conds := conds || 's.address_vector @@ $3 AND NOT s.address_vector @@ $2'::text;
        END IF;
        IF others_wider THEN
            scores := scores || 3;
            conds := conds || 's.address_vector @@ $4 AND NOT s.address_vector @@ $3'::text;
        END IF;
    END IF;
    IF NOT no_doc THEN
        scores := scores || 2;
        conds := conds || 's.document_vector @@ $5 AND NOT s.address_vector @@ $4'::text;
    END IF;
    FOR k IN 1 .. cardinality(scores) LOOP
        -- A tier before the cursor's is done; in the cursor's tier the page
        -- goes on after its id.
        CONTINUE WHEN after_score < scores[k];
        branches := branches || format('SELECT s.property_id, %s::float8 FROM property.property_search s WHERE %s AND %s%s'
            ' ORDER BY s.property_id DESC LIMIT $21', scores[k], f, conds[k],
            CASE WHEN after_score = scores[k] THEN ' AND s.property_id < $20' ELSE '' END);
    END LOOP;
    IF fuzzy IS NOT NULL AND (after_score IS NULL OR after_score <= 1) THEN
        branches := branches || format('SELECT c.property_id, c.score FROM (SELECT s.property_id,'
            ' public.word_similarity($7, s.unparsed_address)::float8 AS score FROM property.property_search s'
            ' WHERE %s AND s.address_vector @@ $6 AND NOT s.document_vector @@ $5 ORDER BY s.property_id DESC LIMIT 1000) c'
            ' WHERE c.score >= 0.4%s ORDER BY c.score DESC, c.property_id DESC LIMIT $21', f,
            CASE WHEN after_score IS NULL THEN '' ELSE ' AND (c.score, c.property_id) < ($19, $20)' END);
    END IF;
    IF cardinality(branches) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE 'SELECT * FROM ((' || array_to_string(branches, ') UNION ALL (') || ')) u LIMIT $21'
        USING org, whole, last_begins, all_begin, doc_begin, fuzzy, q, statuses, types, city_key, postal_code,
            min_price, max_price, min_beds, max_beds, min_baths, max_baths, bbox, after_score, after_id, n;
END
$$;
REVOKE ALL ON FUNCTION search_page(text, text[], text[], text, text, bigint, bigint, integer, integer, integer, integer,
    double precision[], boolean, double precision, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION search_page(text, text[], text[], text, text, bigint, bigint, integer, integer, integer, integer,
    double precision[], boolean, double precision, uuid, integer) TO property_app;
