package events

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"

	"reos.dev/pkg/testkit"
)

// testSchema is the service schema of every integration test; each test has
// its own database, so the name never collides.
const testSchema = "svc"

// waitTimeout bounds every wait for the relay or consumer to catch up.
const waitTimeout = 20 * time.Second

// fixture is one test's database with the events migrations applied, the
// broker, and a topic of its own.
type fixture struct {
	db      *testkit.Database
	pool    *pgxpool.Pool
	brokers []string
	topic   string
	log     *slog.Logger
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testkit.NewDatabase(t)
	db.Migrate(t, testSchema, "events_schema_migrations", Migrations)
	return &fixture{
		db:      db,
		pool:    db.Pool(t, ""),
		brokers: testkit.Brokers(t),
		topic:   uniqueTopic(t),
		log:     testLogger(t),
	}
}

func uniqueTopic(t testing.TB) string {
	return Topic(testkit.UniqueName(t, "evtest"))
}

// testLogger writes JSON records to stderr only with -v, so failures can be
// diagnosed without drowning normal runs.
func testLogger(t testing.TB) *slog.Logger {
	t.Helper()
	if !testing.Verbose() {
		return slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

func (f *fixture) relayConfig() RelayConfig {
	return RelayConfig{
		Pool:         f.pool,
		Schema:       testSchema,
		Brokers:      f.brokers,
		Logger:       f.log,
		PollInterval: 50 * time.Millisecond,
		MinBackoff:   10 * time.Millisecond,
		MaxBackoff:   200 * time.Millisecond,
	}
}

// enqueue commits one transaction that enqueues evs to topic with key.
func (f *fixture) enqueue(ctx context.Context, t *testing.T, topic, key string, evs ...Event) {
	t.Helper()
	out := NewOutbox(testSchema)
	err := pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		for _, ev := range evs {
			if err := out.Enqueue(ctx, tx, topic, key, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

// unpublished counts outbox rows not yet marked published.
func (f *fixture) unpublished(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM svc.outbox WHERE published_at IS NULL`).Scan(&n); err != nil {
		t.Fatalf("count unpublished: %v", err)
	}
	return n
}

// start runs fn in the background until the test ends (or stop is called)
// and returns stop, which cancels it and returns its error.
func start(t testing.TB, fn func(context.Context) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var (
		stopped bool
		result  error
	)
	stop = func() error {
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("background runner did not stop within 15s")
		}
		return result
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("background runner: %v", err)
		}
	})
	return stop
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// record is one message read back from the broker.
type record struct {
	partition int
	offset    int64
	key       string
	value     []byte
	headers   map[string]string
}

// topicRecords reads every message of topic, all partitions, up to the
// current end. A topic the broker does not know has no records.
func topicRecords(t *testing.T, brokers []string, topic string) []record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	probe := newBrokerProbe(brokers, 5*time.Second)
	ranges, err := probe.offsets(ctx, []string{topic})
	if err != nil {
		t.Fatalf("offsets of %s: %v", topic, err)
	}
	var out []record
	for partition, r := range ranges[topic] {
		for off := r.first; off < r.end; {
			resp, err := probe.client.Fetch(ctx, &kafka.FetchRequest{
				Topic: topic, Partition: partition, Offset: off,
				MinBytes: 1, MaxBytes: 4 << 20, MaxWait: 100 * time.Millisecond,
			})
			if err != nil || resp.Error != nil {
				t.Fatalf("fetch %s/%d@%d: %v %v", topic, partition, off, err, resp.Error)
			}
			next := off
			for {
				rec, err := resp.Records.ReadRecord()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("read record: %v", err)
				}
				if rec.Offset < off {
					continue
				}
				out = append(out, record{
					partition: partition,
					offset:    rec.Offset,
					key:       readBytes(t, rec.Key),
					value:     []byte(readBytes(t, rec.Value)),
					headers:   headerMap(rec.Headers),
				})
				next = rec.Offset + 1
			}
			if next == off {
				t.Fatalf("fetch %s/%d made no progress at %d", topic, partition, off)
			}
			off = next
		}
	}
	return out
}

func readBytes(t *testing.T, b kafka.Bytes) string {
	t.Helper()
	if b == nil {
		return ""
	}
	raw, err := io.ReadAll(b)
	if err != nil {
		t.Fatalf("read record bytes: %v", err)
	}
	return string(raw)
}

func headerMap(hs []kafka.Header) map[string]string {
	m := make(map[string]string, len(hs))
	for _, h := range hs {
		m[h.Key] = string(h.Value)
	}
	return m
}

// countByID counts the records of each ce_id.
func countByID(recs []record) map[string]int {
	n := map[string]int{}
	for _, r := range recs {
		n[r.headers[HeaderID]]++
	}
	return n
}

func mustEvent(t testing.TB, typ, subject string, data any) Event {
	t.Helper()
	ev, err := New("reos.test", typ, subject, "", data)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ev
}

// produceRaw writes messages straight to the broker, bypassing the outbox,
// to stage duplicates and garbage for the consumer.
func produceRaw(t *testing.T, brokers []string, msgs ...kafka.Message) {
	t.Helper()
	w := &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		BatchTimeout:           time.Millisecond,
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	// A topic's first write can race its auto-creation; retry briefly.
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = w.WriteMessages(ctx, msgs...); err == nil {
			return
		}
		if !strings.Contains(err.Error(), "Unknown Topic") && !strings.Contains(err.Error(), "Leader Not Available") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("produce: %v", err)
}

// envelopeMessage encodes ev as the relay would.
func envelopeMessage(t *testing.T, topic, key string, ev Event) kafka.Message {
	t.Helper()
	payload, err := ev.MarshalJSON()
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return outboxRow{eventID: ev.ID, topic: topic, key: key, payload: payload, eventType: ev.Type}.message()
}
