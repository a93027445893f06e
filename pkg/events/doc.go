// Package events carries domain events between services: a CloudEvents 1.0
// envelope, a transactional outbox with a relay that publishes it to Kafka,
// and a consumer that applies each event once through an inbox.
//
// # Envelope and messages
//
// An Event is CloudEvents 1.0 in structured JSON mode with the extension
// attributes orgid (the tenant) and traceparent/tracestate (distributed
// tracing). On Kafka the message key is the aggregate id, the value is the
// envelope, and the headers are content-type (application/cloudevents+json),
// ce_id, ce_type and the W3C traceparent/tracestate of the context in which
// the event was enqueued. Topics are per bounded context: Topic("crm") is
// reos.crm.events.
//
// # Outbox
//
// Outbox.Enqueue inserts the event into <schema>.outbox inside the caller's
// transaction and issues pg_notify on the channel <schema>_outbox, which
// PostgreSQL delivers only if that transaction commits. The outbox has no
// row-level security: it is written only inside the service's own
// transactions and read only by its relay.
//
// # Relay: exactly once on the broker
//
// A Relay claims up to BatchSize unpublished rows with SELECT … FOR UPDATE
// SKIP LOCKED ORDER BY id and, in the same transaction, leases them
// (locked_until = now() + ClaimTimeout) and, on a row's first attempt,
// records attempted_at and probe_offsets: the end offset of every partition
// of its topic. Only after that commit does it publish (acks=all, key-hash
// partitioning), and then it marks the rows published in a new transaction.
// A relay that claims a row which already has probe_offsets knows a previous
// attempt may have reached the broker (it crashed between publishing and
// marking, or an acknowledgement was lost): it scans the topic's partitions
// from those offsets to the current end for a message whose ce_id header is
// the event id, marks the row published if found, and publishes it otherwise.
// Several relays may run against one outbox; the lease keeps them off each
// other's rows. The guarantee assumes a relay that lost its lease has stopped
// sending: producer timeouts are derived from ClaimTimeout so any publish ends
// within half of it. A process frozen for longer than the lease can still
// cause a duplicate, which consumers absorb through their inbox.
//
// Order: one relay publishes rows in id order, so one aggregate's events keep
// their order within their partition. With several relays, or after a failed
// batch is retried, events of one key can be published out of order; consumers
// must not assume strict order across retries.
//
// Wake-ups come from LISTEN on the schema's channel (one pooled connection is
// taken out of the pool for it) with a PollInterval fallback. Published rows
// older than Retention are deleted by the relay.
//
// # Consumer and inbox
//
// A Consumer reads its topics with a Kafka consumer group (a new group starts
// at the oldest message) and commits an offset only after the message was
// handled. For each message it decodes the envelope (a message that is not
// a valid envelope is logged, counted and skipped), continues the producer's
// trace, and in one transaction sets app.org_id from the event's orgid (so
// row-level security applies to the handler's writes), inserts
// (consumer, event id) into <schema>.inbox and, if that row is new, runs the
// Handler. A duplicate delivery finds the inbox row and does nothing.
// A handler error rolls back and is retried with backoff up to MaxAttempts;
// then the event is logged at error level, counted as failed and skipped, so
// one poison event cannot stall its partition forever. Database failures
// around the handler are retried until the database is back, since skipping
// would lose the event.
//
// # Migrations and grants
//
// Migrations holds the outbox and inbox DDL with unqualified names; apply it
// with search_path set to the service schema and its own version table:
//
//	postgres.Migrate(ctx, url, schema, "events_schema_migrations", events.Migrations)
//
// It cannot know the service's role, so it grants nothing. Each service's
// first migration instead grants on everything its owner creates in the
// schema later, these tables included:
//
//	GRANT USAGE ON SCHEMA crm TO crm_app;
//	ALTER DEFAULT PRIVILEGES IN SCHEMA crm GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO crm_app;
//	ALTER DEFAULT PRIVILEGES IN SCHEMA crm GRANT USAGE, SELECT ON SEQUENCES TO crm_app;
//
// Default privileges apply to objects created by the role that ran ALTER
// DEFAULT PRIVILEGES, so both migration sources must run as the same owner
// (they do: migrations always run as the owner).
package events
