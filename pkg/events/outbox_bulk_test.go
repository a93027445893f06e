package events

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestEnqueueAllPublishesEveryEventOnce: a bulk enqueue stores each event's
// exact bytes under its key, the relay (woken by the one notification)
// publishes them all once, and a batch holding one invalid event enqueues
// nothing.
func TestEnqueueAllPublishesEveryEventOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	out := NewOutbox(testSchema)
	const n = 500
	msgs := make([]Message, n)
	for i := range msgs {
		key := fmt.Sprintf("prop-%03d", i)
		msgs[i] = Message{Key: key, Event: mustEvent(t, "reos.test.property.created", key, map[string]int{"i": i})}
	}
	if err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return out.EnqueueAll(ctx, tx, f.topic, msgs) }); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, n - 1} {
		var key, payload string
		if err := f.pool.QueryRow(ctx, `SELECT msg_key, payload::text FROM svc.outbox WHERE event_id = $1`, msgs[i].Event.ID).Scan(&key, &payload); err != nil {
			t.Fatal(err)
		}
		want, _ := msgs[i].Event.MarshalJSON()
		if key != msgs[i].Key || payload != string(want) {
			t.Fatalf("row %d = %s %s, want %s %s", i, key, payload, msgs[i].Key, want)
		}
	}

	broken := mustEvent(t, "reos.test.property.created", "x", nil)
	broken.Type = "nope"
	bad := []Message{{Key: "a", Event: mustEvent(t, "reos.test.property.created", "a", nil)}, {Key: "x", Event: broken}}
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return out.EnqueueAll(ctx, tx, f.topic, bad) })
	if !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("EnqueueAll with an invalid event: %v, want ErrInvalidEvent", err)
	}
	if f.unpublished(t) != n {
		t.Fatalf("outbox holds %d rows, want %d (the invalid batch added some)", f.unpublished(t), n)
	}

	relay, err := NewRelay(f.relayConfig())
	if err != nil {
		t.Fatal(err)
	}
	start(t, relay.Run)
	eventually(t, "every row published", func() bool { return f.unpublished(t) == 0 })
	recs := topicRecords(t, f.brokers, f.topic)
	seen := map[string]bool{}
	for _, r := range recs {
		ev, err := Decode(r.value)
		if err != nil || ev.Subject != r.key || seen[ev.ID] {
			t.Fatalf("record %+v: %v (duplicate %t)", r, err, seen[ev.ID])
		}
		seen[ev.ID] = true
	}
	if len(recs) != n {
		t.Fatalf("topic holds %d messages, want %d", len(recs), n)
	}
}
