package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"reos.dev/pkg/postgres"
)

// DefaultMaxAttempts is how many times a consumer runs a failing handler on
// one event before it gives up on that event.
const DefaultMaxAttempts = 5

// Handler applies one event inside the consumer's transaction. Everything it
// writes through tx commits together with the inbox row that marks the event
// processed, so a redelivered event never applies twice. When the event has
// an orgid, app.org_id is already set in tx, so row-level security applies to
// the handler's writes. The context carries the producer's trace context.
type Handler func(ctx context.Context, tx pgx.Tx, ev Event) error

// ConsumerConfig configures a Consumer. Pool, Schema, Brokers, GroupID,
// Topics, Handler and Logger are required.
type ConsumerConfig struct {
	// Pool connects as the service role (subject to row-level security).
	Pool *pgxpool.Pool
	// Schema holds the inbox table.
	Schema string
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// GroupID is the Kafka consumer group; a new group starts at the oldest
	// retained message (at the newest with StartAtNewest).
	GroupID string
	// StartAtNewest makes a new group start after the newest message
	// instead of the oldest: for consumers that react to what happens from
	// now on (webhooks out) rather than build a state from the whole topic.
	// A group that has committed offsets resumes from them either way.
	StartAtNewest bool
	// Topics to consume.
	Topics []string
	// Handler applies each event.
	Handler Handler
	// Logger receives the consumer's records, tagged component=events-consumer.
	Logger *slog.Logger
	// Name identifies the consumer in the inbox; default GroupID. Two
	// consumers with different names process the same event independently.
	Name string
	// MaxAttempts bounds how often a failing handler runs on one event before
	// the event is logged and skipped; default DefaultMaxAttempts.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the delay between attempts.
	MinBackoff, MaxBackoff time.Duration
	// MaxWait bounds the broker's long poll for new messages; default 1s.
	MaxWait time.Duration
	// TracerProvider creates the per-event consumer span; default the otel
	// global provider.
	TracerProvider trace.TracerProvider
}

func (c *ConsumerConfig) validate() error {
	var errs []error
	if c.Pool == nil {
		errs = append(errs, errors.New("nil Pool"))
	}
	if err := checkSchema(c.Schema); err != nil {
		errs = append(errs, err)
	}
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("no Brokers"))
	}
	if c.GroupID == "" {
		errs = append(errs, errors.New("empty GroupID"))
	}
	if len(c.Topics) == 0 {
		errs = append(errs, errors.New("no Topics"))
	}
	if c.Handler == nil {
		errs = append(errs, errors.New("nil Handler"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("nil Logger"))
	}
	if c.MaxAttempts < 0 || c.MinBackoff < 0 || c.MaxBackoff < 0 || c.MaxWait < 0 {
		errs = append(errs, errors.New("negative MaxAttempts, backoff or MaxWait"))
	}
	return errors.Join(errs...)
}

func (c *ConsumerConfig) applyDefaults() {
	if c.Name == "" {
		c.Name = c.GroupID
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.MaxWait == 0 {
		c.MaxWait = time.Second
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
}

// ConsumerStats counts what a consumer did with the messages it read.
type ConsumerStats struct {
	// Processed events ran the handler and committed.
	Processed int64
	// Duplicates were already in the inbox and were skipped.
	Duplicates int64
	// Undecodable messages were not a valid envelope and were skipped.
	Undecodable int64
	// Failed events exhausted MaxAttempts and were skipped.
	Failed int64
}

// Consumer reads events from Kafka with a consumer group and applies each
// one exactly once per consumer name through the inbox.
type Consumer struct {
	cfg    ConsumerConfig
	log    *slog.Logger
	tracer trace.Tracer

	inboxSQL string

	processed, duplicates, undecodable, failed atomic.Int64
}

// NewConsumer validates cfg and returns a consumer; call Run to start it.
func NewConsumer(cfg ConsumerConfig) (*Consumer, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("events: invalid consumer config: %w", err)
	}
	cfg.applyDefaults()
	return &Consumer{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "events-consumer", "group", cfg.GroupID, "consumer", cfg.Name),
		tracer: cfg.TracerProvider.Tracer("reos.dev/pkg/events"),
		inboxSQL: `INSERT INTO ` + pgx.Identifier{cfg.Schema, "inbox"}.Sanitize() + ` (consumer, event_id)
VALUES ($1, $2)
ON CONFLICT DO NOTHING`,
	}, nil
}

// Stats returns the counters so far.
func (c *Consumer) Stats() ConsumerStats {
	return ConsumerStats{
		Processed:   c.processed.Load(),
		Duplicates:  c.duplicates.Load(),
		Undecodable: c.undecodable.Load(),
		Failed:      c.failed.Load(),
	}
}

// Run consumes until ctx is done, then returns nil. The offset of a message
// is committed only after its event is handled (or skipped), so a crash
// redelivers it and the inbox recognises what was already applied.
func (c *Consumer) Run(ctx context.Context) error {
	start := kafka.FirstOffset
	if c.cfg.StartAtNewest {
		start = kafka.LastOffset
	}
	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        c.cfg.Brokers,
		GroupID:        c.cfg.GroupID,
		GroupTopics:    c.cfg.Topics,
		StartOffset:    start,
		CommitInterval: 0, // CommitMessages commits synchronously
		MinBytes:       1,
		MaxBytes:       10 << 20,
		MaxWait:        c.cfg.MaxWait,
		// Partitions added to a topic later are picked up by a rebalance.
		WatchPartitionChanges: true,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			c.log.Warn("kafka reader: " + fmt.Sprintf(msg, args...))
		}),
	})
	defer func() {
		if err := reader.Close(); err != nil {
			c.log.Warn("close reader", "err", err)
		}
	}()
	c.log.Info("events consumer started", "topics", c.cfg.Topics)
	defer c.log.Info("events consumer stopped")

	bo := newBackoff(c.cfg.MinBackoff, c.cfg.MaxBackoff)
	for {
		msg, err := reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			d := bo.next()
			c.log.Warn("fetch message; backing off", "err", err, "backoff", d.String())
			if !sleep(ctx, d) {
				return nil
			}
			continue
		}
		bo.reset()
		if err := c.handle(ctx, msg); err != nil {
			return nil // only ctx ending stops handling; the message is redelivered
		}
		// Detached: a handled message should be committed even while
		// shutting down, or it is redelivered (harmlessly) to the next owner.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
		err = reader.CommitMessages(cctx, msg)
		cancel()
		if err != nil {
			c.log.Warn("commit offset; the message will be redelivered and deduplicated",
				"err", err, "topic", msg.Topic, "partition", msg.Partition, "offset", msg.Offset)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// handlerError marks a failure of the Handler (bounded retries) as opposed
// to the database failing around it (retried until it recovers, because
// skipping would lose the event).
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

// handle applies one message. It returns an error only when ctx ends before
// the message was dealt with; the message must then not be committed.
func (c *Consumer) handle(ctx context.Context, msg kafka.Message) error {
	log := c.log.With("topic", msg.Topic, "partition", msg.Partition, "offset", msg.Offset)
	ev, err := Decode(msg.Value)
	if err != nil {
		c.undecodable.Add(1)
		log.Warn("skipping undecodable message", "err", err)
		return nil
	}
	log = log.With("event_id", ev.ID, "event_type", ev.Type)

	ctx = extractTrace(ctx, msg.Headers, ev)
	ctx, span := c.tracer.Start(ctx, msg.Topic+" process",
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.destination.name", msg.Topic),
			attribute.String("messaging.consumer.group.name", c.cfg.GroupID),
			attribute.String("messaging.message.id", ev.ID),
			attribute.String("cloudevents.event_type", ev.Type),
		))
	defer span.End()

	bo := newBackoff(c.cfg.MinBackoff, c.cfg.MaxBackoff)
	attempt := 1
	for {
		dup, err := c.applyOnce(ctx, ev)
		if err == nil {
			if dup {
				c.duplicates.Add(1)
				log.Debug("duplicate event skipped")
			} else {
				c.processed.Add(1)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var herr *handlerError
		if errors.As(err, &herr) {
			if attempt >= c.cfg.MaxAttempts {
				c.failed.Add(1)
				span.RecordError(err)
				span.SetStatus(codes.Error, "handler failed")
				log.Error("handler failed; giving up on the event", "err", err, "attempts", attempt)
				return nil
			}
			attempt++
		}
		d := bo.next()
		log.Warn("event not applied; retrying", "err", err, "next_attempt", attempt, "backoff", d.String())
		if !sleep(ctx, d) {
			return ctx.Err()
		}
	}
}

// applyOnce runs the inbox insert and the handler in one transaction, with
// app.org_id set to the event's organisation when it has one, and reports
// whether the event had already been processed.
func (c *Consumer) applyOnce(ctx context.Context, ev Event) (dup bool, err error) {
	apply := func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, c.inboxSQL, c.cfg.Name, ev.ID)
		if err != nil {
			return fmt.Errorf("events: inbox insert: %w", err)
		}
		if tag.RowsAffected() == 0 {
			dup = true
			return nil
		}
		if err := c.runHandler(ctx, tx, ev); err != nil {
			return &handlerError{err: err}
		}
		return nil
	}
	if ev.OrgID == "" {
		err = postgres.InTx(ctx, c.cfg.Pool, apply)
	} else {
		err = postgres.InOrgTx(ctx, c.cfg.Pool, ev.OrgID, apply)
	}
	return dup, err
}

// runHandler turns a handler panic into an error: one bad event must not
// take the service down.
func (c *Consumer) runHandler(ctx context.Context, tx pgx.Tx, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v\n%s", p, debug.Stack())
		}
	}()
	return c.cfg.Handler(ctx, tx, ev)
}
