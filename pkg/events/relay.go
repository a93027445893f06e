package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"
)

// Relay defaults, used when the corresponding RelayConfig field is zero.
const (
	DefaultPollInterval = 200 * time.Millisecond
	DefaultBatchSize    = 100
	DefaultClaimTimeout = 30 * time.Second
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 5 * time.Second
	DefaultRetention    = 7 * 24 * time.Hour
)

const (
	// minClaimTimeout keeps the derived broker timeouts (ClaimTimeout/8)
	// above what a healthy round trip needs.
	minClaimTimeout = time.Second
	// bookkeepingTimeout bounds the updates that follow a publish; they run
	// detached from Run's context so a shutdown right after a successful
	// publish still records it.
	bookkeepingTimeout = 5 * time.Second
	pruneEvery         = time.Minute
	pruneBatch         = 1000
)

// RelayConfig configures a Relay. Pool, Schema, Brokers and Logger are
// required; zero durations and sizes take the Default* values.
type RelayConfig struct {
	// Pool connects to the service database. The relay keeps one connection
	// out of the pool for LISTEN, so the pool needs at least two.
	Pool *pgxpool.Pool
	// Schema holds the outbox table (the service's schema).
	Schema string
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Logger receives the relay's records, tagged component=outbox-relay.
	Logger *slog.Logger
	// PollInterval is the fallback poll period; NOTIFY from Enqueue wakes
	// the relay sooner.
	PollInterval time.Duration
	// BatchSize is how many rows one claim takes.
	BatchSize int
	// ClaimTimeout is the lease a relay holds on the rows it claimed. Another
	// relay takes them over only after it expires (and then probes the
	// broker before publishing), so it must exceed the longest publish: the
	// producer's timeouts are derived from it (a publish gives up after
	// ClaimTimeout/2). Minimum one second.
	ClaimTimeout time.Duration
	// MinBackoff and MaxBackoff bound the exponential backoff after a broker
	// or database error.
	MinBackoff, MaxBackoff time.Duration
	// Retention is how long published rows are kept before the relay deletes
	// them; negative keeps them forever.
	Retention time.Duration

	// afterPublish is a test seam: called after the broker acknowledged a
	// batch and before the rows are marked published. A non-nil error makes
	// Run return at once without marking or releasing anything, exactly as
	// if the process had died at that point.
	afterPublish func() error
}

func (c *RelayConfig) validate() error {
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
	if c.Logger == nil {
		errs = append(errs, errors.New("nil Logger"))
	}
	if c.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("BatchSize %d < 0", c.BatchSize))
	}
	if c.ClaimTimeout != 0 && c.ClaimTimeout < minClaimTimeout {
		errs = append(errs, fmt.Errorf("ClaimTimeout %s < %s", c.ClaimTimeout, minClaimTimeout))
	}
	if c.PollInterval < 0 || c.MinBackoff < 0 || c.MaxBackoff < 0 {
		errs = append(errs, errors.New("negative PollInterval or backoff"))
	}
	return errors.Join(errs...)
}

func (c *RelayConfig) applyDefaults() {
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.ClaimTimeout == 0 {
		c.ClaimTimeout = DefaultClaimTimeout
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
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
}

// Relay publishes a schema's outbox to Kafka. Any number of relays may run
// against one outbox: rows are claimed with FOR UPDATE SKIP LOCKED and leased
// for ClaimTimeout. Each event reaches the broker exactly once, also across a
// crash between publishing and recording it (see the package documentation).
type Relay struct {
	cfg     RelayConfig
	log     *slog.Logger
	probe   *brokerProbe
	channel string

	claimSQL, leaseSQL, markSQL, releaseSQL, pruneSQL string
}

// NewRelay validates cfg and returns a relay; call Run to start it.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("events: invalid relay config: %w", err)
	}
	cfg.applyDefaults()
	table := pgx.Identifier{cfg.Schema, "outbox"}.Sanitize()
	return &Relay{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "outbox-relay", "schema", cfg.Schema),
		probe:   newBrokerProbe(cfg.Brokers, cfg.ClaimTimeout/4),
		channel: notifyChannel(cfg.Schema),
		claimSQL: `SELECT id, event_id::text, topic, msg_key, payload, payload->>'type', headers, probe_offsets
FROM ` + table + `
WHERE published_at IS NULL AND (locked_until IS NULL OR locked_until < now())
ORDER BY id
LIMIT $1
FOR UPDATE SKIP LOCKED`,
		// probe_offsets is written once, before the first attempt: older
		// offsets stay a valid (if longer) starting point for every later scan.
		leaseSQL: `UPDATE ` + table + `
SET attempts = attempts + 1,
    attempted_at = now(),
    locked_until = now() + $2::bigint * interval '1 millisecond',
    probe_offsets = coalesce(probe_offsets, $3::jsonb -> topic)
WHERE id = ANY($1)
RETURNING locked_until`,
		markSQL: `UPDATE ` + table + `
SET published_at = now(), locked_until = NULL, last_error = NULL
WHERE id = ANY($1)`,
		// Only the lease holder may release: a relay that overran its lease
		// must not free rows another relay has claimed since.
		releaseSQL: `UPDATE ` + table + `
SET locked_until = NULL, last_error = $3
WHERE id = ANY($1) AND locked_until = $2 AND published_at IS NULL`,
		pruneSQL: `DELETE FROM ` + table + `
WHERE id IN (
	SELECT id FROM ` + table + `
	WHERE published_at < now() - $1::bigint * interval '1 millisecond'
	ORDER BY id
	LIMIT ` + fmt.Sprint(pruneBatch) + `
)`,
	}, nil
}

// errCrashed marks the afterPublish seam firing; Run returns it.
var errCrashed = errors.New("events: relay stopped by afterPublish hook")

// Run publishes until ctx is done, then returns nil. Broker and database
// errors are logged and retried with backoff; Run returns an error only when
// the afterPublish test seam stops it.
func (r *Relay) Run(ctx context.Context) error {
	w := r.newWriter()
	defer func() {
		if err := w.Close(); err != nil {
			r.log.Warn("close producer", "err", err)
		}
	}()

	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // runs before wg.Wait: stops the listener

	wake := make(chan struct{}, 1)
	wg.Go(func() { r.listen(ctx, wake) })

	r.log.Info("outbox relay started", "batch_size", r.cfg.BatchSize, "poll_interval", r.cfg.PollInterval.String())
	defer r.log.Info("outbox relay stopped")

	bo := newBackoff(r.cfg.MinBackoff, r.cfg.MaxBackoff)
	nextPrune := time.Now()
	timer := time.NewTimer(r.cfg.PollInterval)
	defer timer.Stop()
	for {
		n, err := r.relayBatch(ctx, w)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, errCrashed):
			return err
		case err != nil:
			d := bo.next()
			r.log.Warn("relay batch failed; backing off", "err", err, "backoff", d.String())
			if !sleep(ctx, d) {
				return nil
			}
			continue
		}
		bo.reset()
		if n == r.cfg.BatchSize {
			continue // a backlog: keep draining without waiting
		}
		if r.cfg.Retention > 0 && !time.Now().Before(nextPrune) {
			r.prune(ctx)
			nextPrune = time.Now().Add(pruneEvery)
		}
		timer.Reset(r.cfg.PollInterval)
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-timer.C:
		}
	}
}

func (r *Relay) newWriter() *kafka.Writer {
	// Producer timeouts are derived from the lease so that any write still in
	// flight after a publish gives up (ClaimTimeout/2) ends well before the
	// lease does: 3 attempts × ClaimTimeout/8 plus backoffs ≤ ClaimTimeout/2.
	lease := r.cfg.ClaimTimeout
	return &kafka.Writer{
		Addr:                   kafka.TCP(r.cfg.Brokers...),
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		// WriteMessages is handed a whole claimed batch at once, so waiting
		// for more messages to fill a partition's batch gains nothing.
		BatchTimeout:    time.Millisecond,
		BatchSize:       r.cfg.BatchSize,
		MaxAttempts:     3,
		WriteBackoffMin: lease / 64,
		WriteBackoffMax: lease / 16,
		WriteTimeout:    lease / 8,
		ReadTimeout:     lease / 8,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			r.log.Warn("kafka producer: " + fmt.Sprintf(msg, args...))
		}),
	}
}

// outboxRow is one claimed outbox row.
type outboxRow struct {
	id      int64
	eventID string
	topic   string
	key     string
	payload []byte
	// eventType is the envelope's type, for the ce_type header.
	eventType string
	headers   map[string]string
	// probe holds the offsets recorded before an earlier attempt; non-nil
	// means that attempt may have reached the broker.
	probe map[int]int64
}

func (row outboxRow) message() kafka.Message {
	hs := []kafka.Header{
		{Key: HeaderContentType, Value: []byte(ContentTypeCloudEvents)},
		{Key: HeaderID, Value: []byte(row.eventID)},
		{Key: HeaderType, Value: []byte(row.eventType)},
	}
	carrier := headerCarrier{headers: &hs}
	for _, k := range []string{HeaderTraceParent, HeaderTraceState} {
		if v := row.headers[k]; v != "" {
			carrier.Set(k, v)
		}
	}
	return kafka.Message{Topic: row.topic, Key: []byte(row.key), Value: row.payload, Headers: hs}
}

// claim is one leased batch.
type claim struct {
	rows []outboxRow
	// lease is the locked_until written on every row, the token that lets
	// only this relay release them.
	lease time.Time
}

// relayBatch claims, reconciles and publishes one batch and returns how many
// rows it claimed.
func (r *Relay) relayBatch(ctx context.Context, w *kafka.Writer) (int, error) {
	c, err := r.claim(ctx)
	if err != nil || len(c.rows) == 0 {
		return 0, err
	}
	pending, err := r.reconcile(ctx, c)
	if err != nil {
		r.release(ctx, c, c.rows, err)
		return len(c.rows), err
	}
	if len(pending) == 0 {
		return len(c.rows), nil
	}
	return len(c.rows), r.publish(ctx, w, c, pending)
}

// claim locks a batch of unpublished, unleased rows, records the topic end
// offsets before any first attempt, leases the rows and commits, so that
// the offsets are durable before anything is published.
func (r *Relay) claim(ctx context.Context) (claim, error) {
	tx, err := r.cfg.Pool.Begin(ctx)
	if err != nil {
		return claim{}, fmt.Errorf("events: begin claim: %w", err)
	}
	defer rollback(tx)

	rows, err := tx.Query(ctx, r.claimSQL, r.cfg.BatchSize)
	if err != nil {
		return claim{}, fmt.Errorf("events: claim: %w", err)
	}
	var c claim
	for rows.Next() {
		var (
			row   outboxRow
			probe []byte
		)
		if err := rows.Scan(&row.id, &row.eventID, &row.topic, &row.key, &row.payload, &row.eventType, &row.headers, &probe); err != nil {
			rows.Close()
			return claim{}, fmt.Errorf("events: scan outbox row: %w", err)
		}
		if probe != nil {
			if err := json.Unmarshal(probe, &row.probe); err != nil {
				rows.Close()
				return claim{}, fmt.Errorf("events: outbox row %d: bad probe_offsets: %w", row.id, err)
			}
			if row.probe == nil {
				row.probe = map[int]int64{}
			}
		}
		c.rows = append(c.rows, row)
	}
	if err := rows.Err(); err != nil {
		return claim{}, fmt.Errorf("events: claim: %w", err)
	}
	if len(c.rows) == 0 {
		return claim{}, tx.Commit(ctx)
	}

	var firstTopics []string
	seen := map[string]bool{}
	ids := make([]int64, len(c.rows))
	for i, row := range c.rows {
		ids[i] = row.id
		if row.probe == nil && !seen[row.topic] {
			seen[row.topic] = true
			firstTopics = append(firstTopics, row.topic)
		}
	}
	ends, err := r.probe.endOffsets(ctx, firstTopics)
	if err != nil {
		return claim{}, err
	}
	endsJSON, err := json.Marshal(ends)
	if err != nil {
		return claim{}, fmt.Errorf("events: encode probe offsets: %w", err)
	}
	if err := tx.QueryRow(ctx, r.leaseSQL, ids, r.cfg.ClaimTimeout.Milliseconds(), endsJSON).Scan(&c.lease); err != nil {
		return claim{}, fmt.Errorf("events: lease outbox rows: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return claim{}, fmt.Errorf("events: commit claim: %w", err)
	}
	return c, nil
}

// reconcile looks on the broker for the claimed rows that an earlier attempt
// may have published; those found are marked published, the rest returned
// in id order for publishing.
func (r *Relay) reconcile(ctx context.Context, c claim) ([]outboxRow, error) {
	byTopic := map[string][]outboxRow{}
	for _, row := range c.rows {
		if row.probe != nil {
			byTopic[row.topic] = append(byTopic[row.topic], row)
		}
	}
	if len(byTopic) == 0 {
		return c.rows, nil
	}
	found := map[string]bool{}
	for topic, rows := range byTopic {
		want := make(map[string]bool, len(rows))
		for _, row := range rows {
			want[row.eventID] = true
		}
		got, err := r.probe.find(ctx, topic, earliest(rows), want)
		if err != nil {
			return nil, err
		}
		for id := range got {
			found[id] = true
		}
	}
	var done []int64
	pending := make([]outboxRow, 0, len(c.rows))
	for _, row := range c.rows {
		if found[row.eventID] {
			done = append(done, row.id)
			r.log.Info("event already on the broker after an interrupted publish; marked without republishing",
				"event_id", row.eventID, "topic", row.topic)
			continue
		}
		pending = append(pending, row)
	}
	if len(done) > 0 {
		if err := r.mark(ctx, done); err != nil {
			return nil, err
		}
	}
	return pending, nil
}

// earliest merges the rows' probe offsets into one starting point per
// partition: the minimum, or no entry (scan from the log start) when any row
// lacks that partition.
func earliest(rows []outboxRow) map[int]int64 {
	from := map[int]int64{}
	for p, off := range rows[0].probe {
		from[p] = off
	}
	for _, row := range rows[1:] {
		for p, off := range from {
			rowOff, ok := row.probe[p]
			switch {
			case !ok:
				delete(from, p)
			case rowOff < off:
				from[p] = rowOff
			}
		}
	}
	return from
}

func (r *Relay) publish(ctx context.Context, w *kafka.Writer, c claim, rows []outboxRow) error {
	msgs := make([]kafka.Message, len(rows))
	for i, row := range rows {
		msgs[i] = row.message()
	}
	pctx, cancel := context.WithTimeout(ctx, r.cfg.ClaimTimeout/2)
	err := w.WriteMessages(pctx, msgs...)
	cancel()
	if err == nil {
		if hook := r.cfg.afterPublish; hook != nil {
			if herr := hook(); herr != nil {
				return fmt.Errorf("%w: %v", errCrashed, herr)
			}
		}
		if err := r.mark(ctx, ids(rows)); err != nil {
			return err
		}
		r.log.Debug("published events", "count", len(rows))
		return nil
	}

	var werrs kafka.WriteErrors
	switch {
	case errors.As(err, &werrs) && len(werrs) == len(rows):
		// Each partition batch finished: record what succeeded, free the rest
		// for a retry (which probes first, as an ack may have been lost).
		var ok, failed []outboxRow
		for i, row := range rows {
			if werrs[i] == nil {
				ok = append(ok, row)
			} else {
				failed = append(failed, row)
			}
		}
		if len(ok) > 0 {
			if merr := r.mark(ctx, ids(ok)); merr != nil {
				err = errors.Join(err, merr)
			}
		}
		r.release(ctx, c, failed, err)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		// The producer may still be sending these: keep the lease so nobody
		// retries before it has given up; a later claim probes the broker.
	default:
		r.release(ctx, c, rows, err)
	}
	return fmt.Errorf("events: publish %d events: %w", len(rows), err)
}

func (r *Relay) mark(ctx context.Context, ids []int64) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	if _, err := r.cfg.Pool.Exec(ctx, r.markSQL, ids); err != nil {
		// The rows stay leased; once the lease expires a relay finds them on
		// the broker and marks them without publishing again.
		return fmt.Errorf("events: mark %d rows published: %w", len(ids), err)
	}
	return nil
}

func (r *Relay) release(ctx context.Context, c claim, rows []outboxRow, cause error) {
	if len(rows) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bookkeepingTimeout)
	defer cancel()
	if _, err := r.cfg.Pool.Exec(ctx, r.releaseSQL, ids(rows), c.lease, cause.Error()); err != nil {
		r.log.Warn("release outbox rows; they stay leased until the claim timeout", "err", err, "rows", len(rows))
	}
}

func (r *Relay) prune(ctx context.Context) {
	for {
		tag, err := r.cfg.Pool.Exec(ctx, r.pruneSQL, r.cfg.Retention.Milliseconds())
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("prune published outbox rows", "err", err)
			}
			return
		}
		if tag.RowsAffected() < pruneBatch {
			return
		}
	}
}

// listen wakes the relay on NOTIFY from Enqueue, reconnecting with backoff;
// polling covers the gaps.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	bo := newBackoff(r.cfg.MinBackoff, r.cfg.MaxBackoff)
	for {
		err := r.listenOnce(ctx, wake, bo)
		if ctx.Err() != nil {
			return
		}
		d := bo.next()
		r.log.Warn("outbox LISTEN connection lost; polling until it is back", "err", err, "retry_in", d.String())
		if !sleep(ctx, d) {
			return
		}
	}
}

func (r *Relay) listenOnce(ctx context.Context, wake chan<- struct{}, bo *backoff) error {
	pc, err := r.cfg.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection leaves the pool for good: it stays subscribed, so it
	// must not serve anyone else, and it is closed when listening ends.
	conn := pc.Hijack()
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{r.channel}.Sanitize()); err != nil {
		return err
	}
	bo.reset()
	notify(wake) // rows committed before LISTEN sent no notification we saw
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		notify(wake)
	}
}

func notify(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

func ids(rows []outboxRow) []int64 {
	out := make([]int64, len(rows))
	for i, row := range rows {
		out[i] = row.id
	}
	return out
}

func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), bookkeepingTimeout)
	defer cancel()
	_ = tx.Rollback(ctx) // after Commit this is a no-op returning ErrTxClosed
}
