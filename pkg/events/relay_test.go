package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"

	"reos.dev/pkg/testkit"
)

func TestRelayPublishesCommittedEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ev, err := New("reos.identity", "reos.identity.user.registered", "user-42", testOrg, map[string]string{"email": "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f.enqueue(ctx, t, f.topic, "user-42", ev)

	relay, err := NewRelay(f.relayConfig())
	if err != nil {
		t.Fatal(err)
	}
	start(t, relay.Run)

	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     f.brokers,
		GroupID:     testkit.UniqueName(t, "reader"),
		GroupTopics: []string{f.topic},
		StartOffset: kafka.FirstOffset,
		MaxWait:     100 * time.Millisecond,
	})
	defer reader.Close()
	rctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	msg, err := reader.FetchMessage(rctx)
	if err != nil {
		t.Fatalf("read published message: %v", err)
	}

	if string(msg.Key) != "user-42" {
		t.Errorf("key = %q", msg.Key)
	}
	h := headerMap(msg.Headers)
	if h[HeaderContentType] != "application/cloudevents+json" || h[HeaderID] != ev.ID || h[HeaderType] != ev.Type {
		t.Errorf("headers = %v", h)
	}
	got, err := Decode(msg.Value)
	if err != nil {
		t.Fatalf("decode value: %v", err)
	}
	if got.ID != ev.ID || got.Type != ev.Type || got.Subject != "user-42" || got.OrgID != testOrg ||
		got.Source != "reos.identity" || !got.Time.Equal(ev.Time) || string(got.Data) != `{"email":"a@example.com"}` {
		t.Errorf("envelope = %+v, want %+v", got, ev)
	}

	eventually(t, "row marked published", func() bool { return f.unpublished(t) == 0 })
	if recs := topicRecords(t, f.brokers, f.topic); len(recs) != 1 {
		t.Fatalf("topic holds %d messages, want 1", len(recs))
	}
}

func TestRelayIgnoresRolledBackEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	rolledBackTopic := uniqueTopic(t)

	relay, err := NewRelay(f.relayConfig())
	if err != nil {
		t.Fatal(err)
	}
	start(t, relay.Run)

	tx, err := f.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := NewOutbox(testSchema).Enqueue(ctx, tx, rolledBackTopic, "k", mustEvent(t, "reos.test.thing.created", "k", nil)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// A later committed event proves the relay has passed the rolled-back
	// one's place in the outbox, so its absence is not a matter of timing.
	marker := mustEvent(t, "reos.test.thing.created", "marker", nil)
	f.enqueue(ctx, t, f.topic, "marker", marker)
	eventually(t, "marker published", func() bool { return f.unpublished(t) == 0 })

	if recs := topicRecords(t, f.brokers, rolledBackTopic); len(recs) != 0 {
		t.Fatalf("rolled-back event's topic holds %d messages, want 0", len(recs))
	}
	if recs := topicRecords(t, f.brokers, f.topic); len(recs) != 1 || recs[0].headers[HeaderID] != marker.ID {
		t.Fatalf("marker topic holds %v, want only the marker", countByID(recs))
	}
	var rows int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM svc.outbox`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("outbox rows = %d (%v), want 1", rows, err)
	}
}

func TestRelayCrashBetweenPublishAndMark(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ev := mustEvent(t, "reos.test.thing.created", "thing-1", map[string]int{"n": 1})
	f.enqueue(ctx, t, f.topic, "thing-1", ev)

	// The first relay publishes, then "dies" before marking the row.
	cfg := f.relayConfig()
	cfg.ClaimTimeout = time.Second
	var crashes atomic.Int32
	cfg.afterPublish = func() error {
		crashes.Add(1)
		return errors.New("simulated crash")
	}
	first, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := first.Run(runCtx); !errors.Is(err, errCrashed) {
		t.Fatalf("first relay returned %v, want the simulated crash", err)
	}
	if crashes.Load() != 1 {
		t.Fatalf("hook ran %d times", crashes.Load())
	}
	var (
		published, attempted bool
		probe                []byte
	)
	err = f.pool.QueryRow(ctx, `SELECT published_at IS NOT NULL, attempted_at IS NOT NULL, probe_offsets FROM svc.outbox`).
		Scan(&published, &attempted, &probe)
	if err != nil || published || !attempted || probe == nil {
		t.Fatalf("after crash: published=%v attempted=%v probe=%s err=%v", published, attempted, probe, err)
	}
	if recs := topicRecords(t, f.brokers, f.topic); len(recs) != 1 {
		t.Fatalf("after crash the topic holds %d messages, want 1", len(recs))
	}

	// A new relay takes over once the lease expires: it must find the
	// message on the broker and mark the row without publishing again.
	cfg.afterPublish = nil
	second, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, second.Run)
	eventually(t, "row marked published by the second relay", func() bool { return f.unpublished(t) == 0 })

	recs := topicRecords(t, f.brokers, f.topic)
	if len(recs) != 1 || recs[0].headers[HeaderID] != ev.ID {
		t.Fatalf("topic holds %v, want exactly one copy of %s", countByID(recs), ev.ID)
	}
}

func TestRelayPublishesAttemptThatNeverArrived(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	// Something else on the topic first, so the probe offsets are not zero.
	produceRaw(t, f.brokers, envelopeMessage(t, f.topic, "other", mustEvent(t, "reos.test.thing.created", "other", nil)))
	ev := mustEvent(t, "reos.test.thing.created", "thing-1", nil)
	f.enqueue(ctx, t, f.topic, "thing-1", ev)

	// Stage a relay that recorded its probe offsets and died before sending.
	probe := newBrokerProbe(f.brokers, 5*time.Second)
	ends, err := probe.endOffsets(ctx, []string{f.topic})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE svc.outbox SET attempts = 1, attempted_at = now() - interval '1 minute',
		locked_until = now() - interval '1 second', probe_offsets = $1`, ends[f.topic]); err != nil {
		t.Fatal(err)
	}

	relay, err := NewRelay(f.relayConfig())
	if err != nil {
		t.Fatal(err)
	}
	start(t, relay.Run)
	eventually(t, "row published", func() bool { return f.unpublished(t) == 0 })

	counts := countByID(topicRecords(t, f.brokers, f.topic))
	if counts[ev.ID] != 1 || len(counts) != 2 {
		t.Fatalf("topic holds %v, want one copy of %s and the other event", counts, ev.ID)
	}
}

func TestTwoRelaysPublishEachEventOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const events, perTx = 200, 10

	for range 2 {
		cfg := f.relayConfig()
		cfg.Pool = f.db.Pool(t, "")
		cfg.BatchSize = 7 // small batches make the relays interleave
		relay, err := NewRelay(cfg)
		if err != nil {
			t.Fatal(err)
		}
		start(t, relay.Run)
	}

	want := map[string]bool{}
	for i := 0; i < events; i += perTx {
		batch := make([]Event, perTx)
		for j := range batch {
			batch[j] = mustEvent(t, "reos.test.thing.created", fmt.Sprint(i+j), nil)
			want[batch[j].ID] = true
		}
		f.enqueue(ctx, t, f.topic, fmt.Sprintf("key-%d", i%7), batch...)
	}
	eventually(t, "all rows published", func() bool { return f.unpublished(t) == 0 })

	recs := topicRecords(t, f.brokers, f.topic)
	counts := countByID(recs)
	if len(recs) != events || len(counts) != events {
		t.Fatalf("topic holds %d messages for %d ids, want %d each once", len(recs), len(counts), events)
	}
	for id, n := range counts {
		if !want[id] || n != 1 {
			t.Fatalf("event %s appears %d times (enqueued: %v)", id, n, want[id])
		}
	}
	// Leases never overlapped: every row was claimed exactly once.
	var reclaimed int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM svc.outbox WHERE attempts <> 1`).Scan(&reclaimed); err != nil || reclaimed != 0 {
		t.Fatalf("%d rows were claimed more than once (%v)", reclaimed, err)
	}
	// One key, one partition: the hash balancer keeps an aggregate together.
	partitions := map[string]map[int]bool{}
	for _, r := range recs {
		if partitions[r.key] == nil {
			partitions[r.key] = map[int]bool{}
		}
		partitions[r.key][r.partition] = true
	}
	for key, ps := range partitions {
		if len(ps) != 1 {
			t.Errorf("key %s spread over partitions %v", key, ps)
		}
	}
}

func TestRelayWakesOnNotify(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	cfg := f.relayConfig()
	cfg.PollInterval = time.Hour // only NOTIFY can wake it
	relay, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, relay.Run)
	time.Sleep(200 * time.Millisecond) // let the first idle poll pass

	f.enqueue(ctx, t, f.topic, "k", mustEvent(t, "reos.test.thing.created", "k", nil))
	eventually(t, "published after NOTIFY", func() bool { return f.unpublished(t) == 0 })
}

func TestRelayPrunesOldPublishedRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	old := mustEvent(t, "reos.test.thing.created", "old", nil)
	f.enqueue(ctx, t, f.topic, "old", old)
	if _, err := f.pool.Exec(ctx, `UPDATE svc.outbox SET published_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	fresh := mustEvent(t, "reos.test.thing.created", "fresh", nil)
	f.enqueue(ctx, t, f.topic, "fresh", fresh)

	cfg := f.relayConfig()
	cfg.Retention = time.Hour
	relay, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, relay.Run)
	eventually(t, "old row pruned, fresh one published and kept", func() bool {
		var ids []string
		rows, err := f.pool.Query(ctx, `SELECT event_id::text FROM svc.outbox WHERE published_at IS NOT NULL`)
		if err != nil {
			t.Fatal(err)
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return len(ids) == 1 && ids[0] == fresh.ID
	})
}

func TestEnqueueRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	out := NewOutbox(testSchema)
	valid := mustEvent(t, "reos.test.thing.created", "k", nil)
	huge := mustEvent(t, "reos.test.thing.created", "k", map[string]string{"blob": string(make([]byte, MaxEventBytes))})
	broken := valid
	broken.Type = "nope"
	tests := []struct {
		name  string
		topic string
		ev    Event
	}{
		{"empty topic", "", valid},
		{"invalid event", f.topic, broken},
		{"oversized event", f.topic, huge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
				return out.Enqueue(ctx, tx, tc.topic, "k", tc.ev)
			})
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Enqueue err = %v, want ErrInvalidEvent", err)
			}
		})
	}
	// The same event twice is a bug in the caller, not a second event.
	f.enqueue(ctx, t, f.topic, "k", valid)
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return out.Enqueue(ctx, tx, f.topic, "k", valid) })
	if err == nil {
		t.Fatal("duplicate event id accepted")
	}
}

func TestRelayBacksOffWhileBrokerDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ev := mustEvent(t, "reos.test.thing.created", "k", nil)
	f.enqueue(ctx, t, f.topic, "k", ev)

	cfg := f.relayConfig()
	cfg.Brokers = []string{"127.0.0.1:1"} // nothing listens there
	cfg.ClaimTimeout = time.Second
	var logs lockedBuffer
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	down, err := NewRelay(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, down.Run)
	// Wait for the relay to have failed, backed off and failed again: the
	// outage has been met twice, not merely not yet reached.
	testkit.Eventually(t, 10*time.Second, func() bool {
		return strings.Count(logs.String(), "relay batch failed; backing off") >= 2
	}, func() string { return "relay log so far: " + logs.String() })
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v on shutdown, want nil", err)
	}
	// The claim needs the topic's offsets before anything is sent, so an
	// unreachable broker leaves the row untouched: no attempt, no lease.
	var attempts int
	var leased bool
	if err := f.pool.QueryRow(ctx, `SELECT attempts, locked_until IS NOT NULL FROM svc.outbox`).Scan(&attempts, &leased); err != nil {
		t.Fatal(err)
	}
	if attempts != 0 || leased {
		t.Fatalf("after broker outage: attempts=%d leased=%v, want untouched", attempts, leased)
	}

	up, err := NewRelay(f.relayConfig())
	if err != nil {
		t.Fatal(err)
	}
	start(t, up.Run)
	eventually(t, "published once the broker is back", func() bool { return f.unpublished(t) == 0 })
	if counts := countByID(topicRecords(t, f.brokers, f.topic)); counts[ev.ID] != 1 || len(counts) != 1 {
		t.Fatalf("topic holds %v", counts)
	}
}

// lockedBuffer is a log sink the relay's goroutine writes while the test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
