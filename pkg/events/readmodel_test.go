package events

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/testkit"
)

// TestReadModelConsumerNamesMissingOptions: the options a binary must give
// are named; the ones with defaults are not.
func TestReadModelConsumerNamesMissingOptions(t *testing.T) {
	t.Parallel()
	m := ReadModel{Schema: testSchema, Context: "identity", Group: "svc-identity-read-model",
		Handler: func(context.Context, pgx.Tx, Event) error { return nil }}
	_, err := NewReadModelConsumer(m, ReadModelOptions{})
	if err == nil {
		t.Fatal("accepted no options")
	}
	for _, name := range []string{"Pool", "Brokers", "Logger", "identity"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	for _, name := range []string{"GroupID", "MaxWait"} {
		if strings.Contains(err.Error(), name) {
			t.Errorf("error %q names %s, which has a default", err, name)
		}
	}
}

// TestReadModelConsumerAppliesItsContextsTopic: the consumer reads
// Topic(Context), applies each event with the handler in the service's
// schema, and without a GroupID runs (and keeps its inbox) as the read
// model's group.
func TestReadModelConsumerAppliesItsContextsTopic(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bc := testkit.UniqueName(t, "evtest")
	group := testkit.UniqueName(t, "read-model")
	ev := mustEvent(t, "reos.test.thing.created", "thing-1", nil)
	produceRaw(t, f.brokers, envelopeMessage(t, Topic(bc), "k", ev))

	var applied atomic.Value
	c, err := NewReadModelConsumer(ReadModel{Schema: testSchema, Context: bc, Group: group,
		Handler: func(_ context.Context, _ pgx.Tx, e Event) error { applied.Store(e.ID); return nil }},
		ReadModelOptions{Pool: f.pool, Brokers: f.brokers, Logger: f.log, MaxWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, c.Run)
	eventually(t, "the event applied", func() bool { return c.Stats().Processed == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := applied.Load(); got != ev.ID {
		t.Fatalf("handler applied %v, want %s", got, ev.ID)
	}
	var consumer string
	if err := f.pool.QueryRow(t.Context(), `SELECT consumer FROM svc.inbox WHERE event_id = $1`, ev.ID).Scan(&consumer); err != nil {
		t.Fatal(err)
	}
	if consumer != group {
		t.Fatalf("inbox consumer %q, want the read model's group %q", consumer, group)
	}
}
