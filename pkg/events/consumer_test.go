package events

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"reos.dev/pkg/testkit"
)

// callCounter counts handler invocations per event subject.
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) inc(subject string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[subject]++
	return c.n[subject]
}

func (c *callCounter) get(subject string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[subject]
}

func (f *fixture) consumerConfig(t *testing.T, h Handler) ConsumerConfig {
	return ConsumerConfig{
		Pool:        f.pool,
		Schema:      testSchema,
		Brokers:     f.brokers,
		GroupID:     testkit.UniqueName(t, "group"),
		Topics:      []string{f.topic},
		Handler:     h,
		Logger:      f.log,
		MaxAttempts: 3,
		MinBackoff:  5 * time.Millisecond,
		MaxBackoff:  20 * time.Millisecond,
		MaxWait:     200 * time.Millisecond,
	}
}

func TestConsumerAppliesEachEventOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.pool.Exec(ctx, `CREATE TABLE svc.applied (event_id uuid NOT NULL, subject text NOT NULL)`); err != nil {
		t.Fatal(err)
	}

	once := mustEvent(t, "reos.test.thing.created", "once", nil)
	flaky := mustEvent(t, "reos.test.thing.created", "flaky", nil)
	poison := mustEvent(t, "reos.test.thing.created", "poison", nil)
	last := mustEvent(t, "reos.test.thing.created", "last", nil)
	// One key keeps them in one partition, so they arrive in this order.
	produceRaw(t, f.brokers,
		envelopeMessage(t, f.topic, "k", once),
		envelopeMessage(t, f.topic, "k", once), // redelivery
		kafka.Message{Topic: f.topic, Key: []byte("k"), Value: []byte("not an event")},
		envelopeMessage(t, f.topic, "k", flaky),
		envelopeMessage(t, f.topic, "k", poison),
		envelopeMessage(t, f.topic, "k", last),
	)

	var calls callCounter
	handler := func(ctx context.Context, tx pgx.Tx, ev Event) error {
		n := calls.inc(ev.Subject)
		if _, err := tx.Exec(ctx, `INSERT INTO svc.applied VALUES ($1, $2)`, ev.ID, ev.Subject); err != nil {
			return err
		}
		// The insert above must roll back with the failure.
		switch {
		case ev.Subject == "flaky" && n == 1:
			return errors.New("transient failure")
		case ev.Subject == "poison":
			return errors.New("permanent failure")
		}
		return nil
	}
	cfg := f.consumerConfig(t, handler)
	consumer, err := NewConsumer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, consumer.Run)
	want := ConsumerStats{Processed: 3, Duplicates: 1, Undecodable: 1, Failed: 1}
	eventually(t, fmt.Sprintf("stats %+v", want), func() bool { return consumer.Stats() == want })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	wantCalls := map[string]int{"once": 1, "flaky": 2, "poison": 3, "last": 1}
	for subject, n := range wantCalls {
		if got := calls.get(subject); got != n {
			t.Errorf("handler ran %d times for %s, want %d", got, subject, n)
		}
	}
	wantApplied := map[string]int{"once": 1, "flaky": 1, "poison": 0, "last": 1}
	for subject, n := range wantApplied {
		var got int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM svc.applied WHERE subject = $1`, subject).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s applied %d times, want %d", subject, got, n)
		}
	}

	// A consumer with the same inbox name but a fresh group re-reads the
	// whole topic (as after lost offsets): the inbox absorbs every event
	// already applied; only the poison event is tried again.
	again := cfg
	again.GroupID = testkit.UniqueName(t, "group")
	again.Name = cfg.GroupID // the first consumer's inbox name (Name defaults to GroupID)
	second, err := NewConsumer(again)
	if err != nil {
		t.Fatal(err)
	}
	start(t, second.Run)
	want = ConsumerStats{Processed: 0, Duplicates: 4, Undecodable: 1, Failed: 1}
	eventually(t, fmt.Sprintf("second consumer stats %+v", want), func() bool { return second.Stats() == want })
	for subject := range wantApplied {
		if got, base := calls.get(subject), wantCalls[subject]; subject != "poison" && got != base {
			t.Errorf("handler ran again for %s (%d calls)", subject, got)
		}
	}
}

func TestTraceContextFlowsFromEnqueueToHandler(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	spanCtx, span := tp.Tracer("test").Start(ctx, "register user")
	producer := span.SpanContext()
	ev := mustEvent(t, "reos.test.user.registered", "u1", nil)
	f.enqueue(spanCtx, t, f.topic, "u1", ev)
	span.End()

	relay, err := NewRelay(f.relayConfig())
	if err != nil {
		t.Fatal(err)
	}
	start(t, relay.Run)

	seen := make(chan trace.SpanContext, 1)
	cfg := f.consumerConfig(t, func(ctx context.Context, _ pgx.Tx, _ Event) error {
		seen <- trace.SpanContextFromContext(ctx)
		return nil
	})
	cfg.TracerProvider = tp
	consumer, err := NewConsumer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, consumer.Run)

	var inHandler trace.SpanContext
	select {
	case inHandler = <-seen:
	case <-time.After(waitTimeout):
		t.Fatal("handler never ran")
	}

	wantParent := fmt.Sprintf("00-%s-%s-01", producer.TraceID(), producer.SpanID())
	recs := topicRecords(t, f.brokers, f.topic)
	if len(recs) != 1 || recs[0].headers[HeaderTraceParent] != wantParent {
		t.Fatalf("message headers %v, want traceparent %s", recs, wantParent)
	}
	if got, err := Decode(recs[0].value); err != nil || got.TraceParent != wantParent {
		t.Fatalf("envelope traceparent %q (%v), want %s", got.TraceParent, err, wantParent)
	}
	if inHandler.TraceID() != producer.TraceID() || inHandler.SpanID() == producer.SpanID() {
		t.Fatalf("handler span context %s/%s, want trace %s in a child span", inHandler.TraceID(), inHandler.SpanID(), producer.TraceID())
	}
	var consumerSpan *tracetest.SpanStub
	eventually(t, "consumer span exported", func() bool {
		for _, s := range exporter.GetSpans() {
			if s.SpanKind == trace.SpanKindConsumer {
				consumerSpan = &s
				return true
			}
		}
		return false
	})
	if consumerSpan.Parent.SpanID() != producer.SpanID() || consumerSpan.SpanContext.SpanID() != inHandler.SpanID() {
		t.Fatalf("consumer span parent %s, want %s", consumerSpan.Parent.SpanID(), producer.SpanID())
	}
}

// TestServiceRoleGrantsAndRowLevelSecurity runs the whole path as a service
// role that owns nothing: the service's first migration sets default
// privileges, the events migration runs after it, and the tables it creates
// must be usable by the role; the consumer's handler writes under RLS.
func TestServiceRoleGrantsAndRowLevelSecurity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	role := testkit.UniqueName(t, "evt_app")
	adminURL := os.Getenv("REOS_TEST_PG_URL")
	if adminURL == "" {
		adminURL = testkit.DefaultPostgresURL
	}
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("connect as superuser: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" NOLOGIN"); err != nil {
		t.Fatal(err)
	}
	// Registered before the database exists, so it runs after it is dropped
	// and nothing depends on the role any more.
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			t.Errorf("drop role: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize()); err != nil {
			t.Errorf("drop role: %v", err)
		}
	})

	db := testkit.NewDatabase(t)
	r := pgx.Identifier{role}.Sanitize()
	service := fstest.MapFS{
		"000001_init.up.sql": {Data: []byte(strings.ReplaceAll(`
GRANT USAGE ON SCHEMA svc TO ROLE;
ALTER DEFAULT PRIVILEGES IN SCHEMA svc GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ROLE;
ALTER DEFAULT PRIVILEGES IN SCHEMA svc GRANT USAGE, SELECT ON SEQUENCES TO ROLE;
CREATE TABLE notes (org_id uuid NOT NULL, body text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_org ON notes
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
`, "ROLE", r))},
		"000001_init.down.sql": {Data: []byte("DROP TABLE notes;")},
	}
	db.Migrate(t, testSchema, "schema_migrations", service)
	db.Migrate(t, testSchema, "events_schema_migrations", Migrations)

	f := &fixture{db: db, pool: db.Pool(t, role), brokers: testkit.Brokers(t), topic: uniqueTopic(t), log: testLogger(t)}
	tenant, err := New("reos.test", "reos.test.note.added", "n1", testOrg, map[string]string{"org": testOrg, "body": "hello"})
	if err != nil {
		t.Fatal(err)
	}
	orgless := mustEvent(t, "reos.test.note.added", "n2", map[string]string{"org": testOrg, "body": "nobody's"})
	f.enqueue(ctx, t, f.topic, "n", tenant, orgless)

	relay, err := NewRelay(f.relayConfig())
	if err != nil {
		t.Fatal(err)
	}
	start(t, relay.Run)

	consumer, err := NewConsumer(f.consumerConfig(t, func(ctx context.Context, tx pgx.Tx, ev Event) error {
		var note struct{ Org, Body string }
		if err := ev.DecodeData(&note); err != nil {
			return err
		}
		// For the event without orgid app.org_id stays unset, so the
		// policy's WITH CHECK must refuse the row.
		_, err := tx.Exec(ctx, `INSERT INTO svc.notes (org_id, body) VALUES ($1::uuid, $2)`, note.Org, note.Body)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	start(t, consumer.Run)
	want := ConsumerStats{Processed: 1, Failed: 1}
	eventually(t, fmt.Sprintf("stats %+v", want), func() bool { return consumer.Stats() == want })
	// The consumer can read an event before the relay's mark commits.
	eventually(t, "relay running as the service role marks every row published", func() bool { return f.unpublished(t) == 0 })

	// The role sees the note only inside its organisation.
	var visible int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM svc.notes`).Scan(&visible); err != nil || visible != 0 {
		t.Fatalf("without app.org_id the role sees %d notes (%v), want 0", visible, err)
	}
	err = pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('app.org_id', $1, true)`, testOrg); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM svc.notes WHERE body = 'hello'`).Scan(&visible)
	})
	if err != nil || visible != 1 {
		t.Fatalf("inside the org the role sees %d notes (%v), want 1", visible, err)
	}
}

func TestConsumerStartedBeforeTopicExists(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	got := make(chan string, 1)
	consumer, err := NewConsumer(f.consumerConfig(t, func(_ context.Context, _ pgx.Tx, ev Event) error {
		got <- ev.ID
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	start(t, consumer.Run)
	time.Sleep(time.Second) // the group forms while the topic does not exist

	ev := mustEvent(t, "reos.test.thing.created", "k", nil)
	produceRaw(t, f.brokers, envelopeMessage(t, f.topic, "k", ev))
	select {
	case id := <-got:
		if id != ev.ID {
			t.Fatalf("handled %s, want %s", id, ev.ID)
		}
	case <-time.After(waitTimeout):
		t.Fatal("consumer never saw the event published after it started")
	}
}
