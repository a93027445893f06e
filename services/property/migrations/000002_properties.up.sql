-- Properties, their history, listings and listing snapshots. Every table
-- carries org_id with FORCE ROW LEVEL SECURITY on app.org_id, which
-- postgres.InOrgTx sets per transaction. NULLIF: on a pooled connection an
-- earlier transaction-local setting reads back as '', which must match
-- nothing rather than raise.

-- Trigram matching for misspelled and partial addresses. pg_trgm is a
-- trusted extension (the schema owner may create it). It goes to public so
-- its functions and operators resolve on every connection's default
-- search_path; an extension exists once per database.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE properties (
    id                      uuid        PRIMARY KEY,
    org_id                  uuid        NOT NULL,
    listing_key             text        CHECK (char_length(listing_key) BETWEEN 1 AND 100),
    list_price_cents        bigint      NOT NULL CHECK (list_price_cents BETWEEN 0 AND 10000000000000),
    bedrooms_total          integer     CHECK (bedrooms_total BETWEEN 0 AND 1000),
    bathrooms_total_integer integer     CHECK (bathrooms_total_integer BETWEEN 0 AND 1000),
    living_area             bigint      CHECK (living_area BETWEEN 0 AND 100000000),
    lot_size_acres          numeric     CHECK (lot_size_acres >= 0 AND lot_size_acres < 1000000000 AND scale(lot_size_acres) <= 4),
    year_built              integer     CHECK (year_built BETWEEN 1600 AND 2200),
    property_type           text        NOT NULL CHECK (property_type IN (
        'Residential', 'ResidentialIncome', 'ResidentialLease', 'Land', 'Farm',
        'CommercialSale', 'CommercialLease', 'BusinessOpportunity', 'ManufacturedInPark')),
    property_sub_type       text        CHECK (char_length(property_sub_type) <= 100),
    standard_status         text        NOT NULL CHECK (standard_status IN (
        'Active', 'Active Under Contract', 'Canceled', 'Closed', 'Coming Soon', 'Delete',
        'Expired', 'Hold', 'Incomplete', 'Pending', 'Withdrawn')),
    unparsed_address        text        NOT NULL CHECK (unparsed_address <> '' AND char_length(unparsed_address) <= 500),
    street_number           text        CHECK (char_length(street_number) <= 20),
    street_name             text        CHECK (char_length(street_name) <= 200),
    unit_number             text        CHECK (char_length(unit_number) <= 20),
    city                    text        NOT NULL CHECK (city <> '' AND char_length(city) <= 100),
    state_or_province       text        CHECK (char_length(state_or_province) <= 50),
    postal_code             text        CHECK (char_length(postal_code) <= 20),
    country                 text        NOT NULL DEFAULT 'US' CHECK (country ~ '^[A-Z]{2}$'),
    latitude                double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude               double precision CHECK (longitude BETWEEN -180 AND 180),
    public_remarks          text        CHECK (char_length(public_remarks) <= 10000),
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    archived_at             timestamptz,
    -- Weighted full-text document: address A, city and postal code B,
    -- remarks C. 'simple' keeps street words and numbers as typed (prefix
    -- matching of "12 Map" needs unstemmed lexemes).
    search_vector           tsvector    GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, unparsed_address), 'A') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(city, '') || ' ' || coalesce(postal_code, '')), 'B') ||
        setweight(to_tsvector('simple'::regconfig, coalesce(public_remarks, '')), 'C')
    ) STORED,
    -- The city filter compares city_key with plain text equality: under
    -- row-level security an index is only used for LEAKPROOF operators, and
    -- an expression index on lower(city) never was (measured: 128 ms
    -- sequential scan vs 0.1 ms with this column, 100k rows).
    city_key                text        GENERATED ALWAYS AS (lower(city)) STORED,
    CONSTRAINT properties_lat_lon_together CHECK ((latitude IS NULL) = (longitude IS NULL)),
    -- Target of the listings' composite foreign key: a listing's property
    -- is always in the listing's organisation.
    CONSTRAINT properties_org_id_key UNIQUE (org_id, id)
);
-- listing_key is the client's id; unique per organisation when present
-- (bulk import dedupes on it).
CREATE UNIQUE INDEX properties_org_listing_key_key ON properties (org_id, listing_key) WHERE listing_key IS NOT NULL;
-- Keyset pagination for the whitelisted sorts (see the EXPLAIN notes in
-- the service report; archived rows are hidden by default, hence partial).
CREATE INDEX properties_org_created_idx ON properties (org_id, created_at, id) WHERE archived_at IS NULL;
CREATE INDEX properties_org_price_idx ON properties (org_id, list_price_cents, id) WHERE archived_at IS NULL;
CREATE INDEX properties_org_city_idx ON properties (org_id, city_key);
-- Bounding-box filter: float8 comparisons are leakproof, so this plain
-- btree serves it under RLS (measured: 0.9 ms vs a 100 ms scan).
CREATE INDEX properties_org_geo_idx ON properties (org_id, latitude, longitude) WHERE archived_at IS NULL;
CREATE INDEX properties_org_postal_idx ON properties (org_id, postal_code);
ALTER TABLE properties ENABLE ROW LEVEL SECURITY;
ALTER TABLE properties FORCE ROW LEVEL SECURITY;
CREATE POLICY properties_tenant ON properties
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

-- Search index. Under row-level security PostgreSQL never uses an index for
-- a condition whose operator is not LEAKPROOF (@@ and pg_trgm's <% are not)
-- before the policy has filtered the rows, so GIN indexes on properties
-- itself are dead weight for property_app: measured on 100k rows, every
-- search was a sequential scan (~500 ms). The searchable columns are
-- therefore copied, by trigger, into property_search, which has no policy
-- and no grant to property_app at all: the service reaches it only through
-- search_matches() below, a SECURITY DEFINER function that filters by the
-- same app.org_id the policies use. The results are then joined back to
-- properties, where the policy applies again.
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

-- The caller's organisation's matches with their score: 2 x ts_rank_cd (a
-- full-text hit outranks a near miss) + trigram word similarity of the
-- address. The threshold 0.4 admits "Mapel Stret" for "123 Maple Street"
-- (0.47) and keeps "45 Maple Avenue" (0.25) out.
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

-- One row per changed field: who, when, old -> new as JSON values.
CREATE TABLE property_history (
    id          uuid        PRIMARY KEY,
    org_id      uuid        NOT NULL,
    property_id uuid        NOT NULL,
    actor_id    uuid,
    changed_at  timestamptz NOT NULL,
    field       text        NOT NULL,
    old_value   jsonb       NOT NULL,
    new_value   jsonb       NOT NULL,
    CONSTRAINT property_history_property_fk FOREIGN KEY (org_id, property_id) REFERENCES properties (org_id, id) ON DELETE CASCADE
);
CREATE INDEX property_history_property_idx ON property_history (property_id, changed_at DESC, id DESC);
ALTER TABLE property_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE property_history FORCE ROW LEVEL SECURITY;
CREATE POLICY property_history_tenant ON property_history
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

CREATE TABLE listings (
    id                    uuid        PRIMARY KEY,
    org_id                uuid        NOT NULL,
    property_id           uuid        NOT NULL,
    list_price_cents      bigint      NOT NULL CHECK (list_price_cents BETWEEN 0 AND 10000000000000),
    standard_status       text        NOT NULL CHECK (standard_status IN (
        'Active', 'Active Under Contract', 'Canceled', 'Closed', 'Coming Soon', 'Delete',
        'Expired', 'Hold', 'Incomplete', 'Pending', 'Withdrawn')),
    listing_contract_date date,
    expiration_date       date,
    agent_user_id         uuid,
    remarks               text        CHECK (char_length(remarks) <= 10000),
    version               integer     NOT NULL CHECK (version >= 1),
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    CONSTRAINT listings_dates CHECK (expiration_date IS NULL OR listing_contract_date IS NULL OR expiration_date >= listing_contract_date),
    CONSTRAINT listings_property_fk FOREIGN KEY (org_id, property_id) REFERENCES properties (org_id, id),
    CONSTRAINT listings_org_id_key UNIQUE (org_id, id)
);
CREATE INDEX listings_org_created_idx ON listings (org_id, created_at, id);
CREATE INDEX listings_org_price_idx ON listings (org_id, list_price_cents, id);
CREATE INDEX listings_property_idx ON listings (org_id, property_id);
ALTER TABLE listings ENABLE ROW LEVEL SECURITY;
ALTER TABLE listings FORCE ROW LEVEL SECURITY;
CREATE POLICY listings_tenant ON listings
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

-- The whole listing as it was after each create or change.
CREATE TABLE listing_snapshots (
    id         uuid        PRIMARY KEY,
    org_id     uuid        NOT NULL,
    listing_id uuid        NOT NULL,
    version    integer     NOT NULL,
    actor_id   uuid,
    snapshot   jsonb       NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT listing_snapshots_listing_fk FOREIGN KEY (org_id, listing_id) REFERENCES listings (org_id, id),
    CONSTRAINT listing_snapshots_version_key UNIQUE (listing_id, version)
);
ALTER TABLE listing_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE listing_snapshots FORCE ROW LEVEL SECURITY;
CREATE POLICY listing_snapshots_tenant ON listing_snapshots
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
