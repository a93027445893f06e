package events

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Publisher writes one context's events into its outbox, inside the
// caller's transaction: the one way a service's store turns the app's
// events into CloudEvents (source, type, subject, org) and enqueues them on
// the context's topic (Topic(context)). The relay publishes them after
// the commit.
type Publisher struct {
	outbox *Outbox
	topic  string
	source string
}

// NewPublisher returns the publisher of context (e.g. "crm") writing to
// <schema>.outbox with the CloudEvents source (e.g. "reos.crm").
func NewPublisher(schema, context, source string) *Publisher {
	return &Publisher{outbox: NewOutbox(schema), topic: Topic(context), source: source}
}

// Pending is one event to publish: its type, the CloudEvents subject, the
// message key (the aggregate id: one aggregate's events keep their order
// in one partition) and the data.
type Pending struct {
	Type, Subject, Key string
	Data               any
}

// Publish enqueues evs for orgID in tx, in order (one round trip for one
// event, a COPY for several).
func (p *Publisher) Publish(ctx context.Context, tx pgx.Tx, orgID string, evs ...Pending) error {
	msgs := make([]Message, len(evs))
	for i, e := range evs {
		if e.Key == "" || e.Subject == "" {
			return fmt.Errorf("events: publish %s: no subject (%q) or key (%q)", e.Type, e.Subject, e.Key)
		}
		ev, err := New(p.source, e.Type, e.Subject, orgID, e.Data)
		if err != nil {
			return fmt.Errorf("events: build %s event: %w", e.Type, err)
		}
		msgs[i] = Message{Key: e.Key, Event: ev}
	}
	switch len(msgs) {
	case 0:
		return nil
	case 1:
		return p.outbox.Enqueue(ctx, tx, p.topic, msgs[0].Key, msgs[0].Event)
	default:
		return p.outbox.EnqueueAll(ctx, tx, p.topic, msgs)
	}
}
