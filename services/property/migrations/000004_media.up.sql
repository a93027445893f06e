-- A property's images and documents. The bytes live in the file store
-- (pkg/storage) under storage_key; these rows are what makes them reachable
-- (only a row's key is ever signed into a download link). The file is
-- stored before its row and deleted after it, so a row never points at
-- nothing; a crash in between leaves at most an unreferenced file.
-- content_type is what the intake sniffed from the bytes, file_name the
-- client's name sanitised.

CREATE TABLE property_images (
    id           uuid        PRIMARY KEY,
    org_id       uuid        NOT NULL,
    property_id  uuid        NOT NULL,
    storage_key  text        NOT NULL UNIQUE CHECK (char_length(storage_key) BETWEEN 1 AND 512),
    file_name    text        NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 255),
    content_type text        NOT NULL CHECK (char_length(content_type) BETWEEN 1 AND 255),
    size_bytes   bigint      NOT NULL CHECK (size_bytes > 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    caption      text        CHECK (char_length(caption) <= 500),
    -- New images go last (max + 1 under the property's row lock); gaps
    -- after a delete are harmless.
    position     integer     NOT NULL CHECK (position >= 0),
    uploaded_by  uuid,
    created_at   timestamptz NOT NULL,
    CONSTRAINT property_images_property_fk FOREIGN KEY (org_id, property_id) REFERENCES properties (org_id, id),
    -- Also the index of the list (keyset on position, id).
    CONSTRAINT property_images_position_key UNIQUE (org_id, property_id, position)
);
ALTER TABLE property_images ENABLE ROW LEVEL SECURITY;
ALTER TABLE property_images FORCE ROW LEVEL SECURITY;
CREATE POLICY property_images_tenant ON property_images
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

CREATE TABLE property_documents (
    id           uuid        PRIMARY KEY,
    org_id       uuid        NOT NULL,
    property_id  uuid        NOT NULL,
    storage_key  text        NOT NULL UNIQUE CHECK (char_length(storage_key) BETWEEN 1 AND 512),
    file_name    text        NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 255),
    content_type text        NOT NULL CHECK (char_length(content_type) BETWEEN 1 AND 255),
    size_bytes   bigint      NOT NULL CHECK (size_bytes > 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    title        text        CHECK (char_length(title) <= 200),
    uploaded_by  uuid,
    created_at   timestamptz NOT NULL,
    CONSTRAINT property_documents_property_fk FOREIGN KEY (org_id, property_id) REFERENCES properties (org_id, id)
);
-- The list: newest first, keyset on (created_at, id).
CREATE INDEX property_documents_property_idx ON property_documents (org_id, property_id, created_at DESC, id DESC);
ALTER TABLE property_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE property_documents FORCE ROW LEVEL SECURITY;
CREATE POLICY property_documents_tenant ON property_documents
    USING (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('app.org_id', true), '')::uuid);
