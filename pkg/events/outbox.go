package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// MaxEventBytes caps an encoded event. Brokers and the producer refuse
// messages near 1 MiB, and a row the relay can never publish would be retried
// forever, so an oversized event is refused at Enqueue instead; events carry
// ids and facts, not documents.
const MaxEventBytes = 512 << 10

// maxIdentifierLen is PostgreSQL's NAMEDATALEN-1; longer channel names are
// rejected by pg_notify and silently truncated by LISTEN.
const maxIdentifierLen = 63

// Outbox writes events into a service schema's outbox table inside the
// caller's transaction, so an event is published if and only if the change
// that caused it commits.
type Outbox struct {
	insertSQL string
	channel   string
	table     pgx.Identifier
}

// NewOutbox returns an Outbox writing to <schema>.outbox. It panics on an
// empty or over-long schema name: the schema is a constant of the service,
// so that is a programming error, not a runtime condition.
func NewOutbox(schema string) *Outbox {
	if err := checkSchema(schema); err != nil {
		panic(err)
	}
	table := pgx.Identifier{schema, "outbox"}.Sanitize()
	// One round trip: the insert and the wake-up notification. NOTIFY is
	// transactional, so relays are woken only if the transaction commits.
	return &Outbox{
		insertSQL: `WITH ins AS (
	INSERT INTO ` + table + ` (event_id, topic, msg_key, payload, headers)
	VALUES ($1, $2, $3, $4, $5)
	RETURNING id
)
SELECT pg_notify($6, '') FROM ins`,
		channel: notifyChannel(schema),
		table:   pgx.Identifier{schema, "outbox"},
	}
}

// Enqueue validates ev, stamps it with the trace context of ctx (as the
// traceparent/tracestate extension attributes and as message headers) and
// inserts it into the outbox inside tx. key is the Kafka message key, the
// aggregate id, which keeps one aggregate's events in one partition.
func (o *Outbox) Enqueue(ctx context.Context, tx pgx.Tx, topic, key string, ev Event) error {
	if tx == nil {
		return errors.New("events: enqueue: nil transaction")
	}
	if strings.TrimSpace(topic) == "" {
		return fmt.Errorf("%w: empty topic", ErrInvalidEvent)
	}
	payload, headerJSON, err := encode(ev, traceHeaders(ctx))
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, o.insertSQL, ev.ID, topic, key, payload, headerJSON, o.channel); err != nil {
		return fmt.Errorf("events: enqueue %s (%s) to %s: %w", ev.ID, ev.Type, topic, err)
	}
	return nil
}

// encode stamps ev with the trace context th, validates it and returns the
// bytes the outbox stores: the envelope and the message headers.
func encode(ev Event, th map[string]string) (payload, headerJSON []byte, err error) {
	if th[HeaderTraceParent] != "" {
		ev.TraceParent = th[HeaderTraceParent]
		ev.TraceState = th[HeaderTraceState]
	}
	if err := ev.Validate(); err != nil {
		return nil, nil, err
	}
	headers := map[string]string{}
	if ev.TraceParent != "" {
		headers[HeaderTraceParent] = ev.TraceParent
		if ev.TraceState != "" {
			headers[HeaderTraceState] = ev.TraceState
		}
	}
	payload, err = json.Marshal(ev)
	if err != nil {
		return nil, nil, fmt.Errorf("events: encode %s: %w", ev.ID, err)
	}
	if len(payload) > MaxEventBytes {
		return nil, nil, fmt.Errorf("%w: %s (%s) is %d bytes, max %d", ErrInvalidEvent, ev.ID, ev.Type, len(payload), MaxEventBytes)
	}
	headerJSON, err = json.Marshal(headers)
	if err != nil {
		return nil, nil, fmt.Errorf("events: encode headers of %s: %w", ev.ID, err)
	}
	return payload, headerJSON, nil
}

// notifyChannel is the LISTEN/NOTIFY channel that wakes the relays of one
// schema; a channel per schema keeps services sharing a database from waking
// each other's relays.
func notifyChannel(schema string) string {
	return schema + "_outbox"
}

func checkSchema(schema string) error {
	switch {
	case strings.TrimSpace(schema) == "":
		return errors.New("events: empty schema")
	case len(notifyChannel(schema)) > maxIdentifierLen:
		return fmt.Errorf("events: schema name %q too long (max %d bytes)", schema, maxIdentifierLen-len("_outbox"))
	}
	return nil
}
