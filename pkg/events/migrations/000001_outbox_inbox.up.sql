-- Outbox and inbox of reos.dev/pkg/events. Names are unqualified on purpose:
-- the migration runs with search_path set to the owning service's schema, so
-- the same files serve every service. Grants come from the service's own
-- ALTER DEFAULT PRIVILEGES (see the package documentation), because this
-- migration cannot know the service's role name.

-- One row per event enqueued in a business transaction. published_at IS NULL
-- means "not yet confirmed on the broker". locked_until is the relay's lease
-- on a row it is publishing; attempted_at and probe_offsets record that a
-- publish may have happened (probe_offsets are the end offsets of the topic's
-- partitions read before the first attempt) so that a relay that takes over
-- after a crash scans the broker instead of publishing twice.
CREATE TABLE outbox (
    id            bigserial   PRIMARY KEY,
    event_id      uuid        NOT NULL UNIQUE,
    topic         text        NOT NULL CHECK (topic <> ''),
    msg_key       text        NOT NULL,
    payload       json        NOT NULL,
    headers       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempts      integer     NOT NULL DEFAULT 0,
    attempted_at  timestamptz,
    probe_offsets jsonb,
    locked_until  timestamptz,
    last_error    text,
    published_at  timestamptz
);

-- The relay's claim query walks unpublished rows in id order; this index
-- stays as small as the backlog.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

-- Retention pruning deletes old published rows.
CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

-- One row per (consumer, event) already handled: the consumer inserts here in
-- the same transaction as the handler's writes, so a redelivered event is
-- recognised and skipped.
CREATE TABLE inbox (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE INDEX inbox_processed_at_idx ON inbox (processed_at);
