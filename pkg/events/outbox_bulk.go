package events

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Message is one event and its message key (the aggregate id), for
// EnqueueAll.
type Message struct {
	Key   string
	Event Event
}

// outboxCopyColumns are the columns EnqueueAll copies; the rest take their
// defaults, as in Enqueue.
var outboxCopyColumns = []string{"event_id", "topic", "msg_key", "payload", "headers"}

// EnqueueAll is Enqueue for many events at once, for bulk writers (an
// import that creates thousands of rows per transaction): the rows are
// streamed with COPY in one round trip and the relays are woken once.
// Every event is validated and encoded before anything is written, so an
// invalid one fails the call with nothing enqueued.
func (o *Outbox) EnqueueAll(ctx context.Context, tx pgx.Tx, topic string, msgs []Message) error {
	if tx == nil {
		return errors.New("events: enqueue: nil transaction")
	}
	if strings.TrimSpace(topic) == "" {
		return fmt.Errorf("%w: empty topic", ErrInvalidEvent)
	}
	if len(msgs) == 0 {
		return nil
	}
	th := traceHeaders(ctx)
	rows := make([][]any, len(msgs))
	for i, m := range msgs {
		payload, headers, err := encode(m.Event, th)
		if err != nil {
			return err
		}
		rows[i] = []any{m.Event.ID, topic, m.Key, payload, headers}
	}
	if _, err := tx.CopyFrom(ctx, o.table, outboxCopyColumns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("events: enqueue %d events to %s: %w", len(msgs), topic, err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, '')", o.channel); err != nil {
		return fmt.Errorf("events: notify %s: %w", o.channel, err)
	}
	return nil
}
