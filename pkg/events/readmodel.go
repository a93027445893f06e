package events

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ReadModel is a local copy one service keeps of another context's data,
// fed from that context's topic: the service declares it once, and its
// binary and tests each start the consumer with their own ReadModelOptions.
type ReadModel struct {
	// Schema is the consuming service's schema, which holds its inbox.
	Schema string
	// Context is the context whose topic, Topic(Context), is read.
	Context string
	// Group is the default consumer group (and inbox name). A new group
	// starts at the oldest retained message of the topic.
	Group string
	// Handler applies one event to the read model; the inbox makes a
	// redelivery harmless.
	Handler Handler
}

// ReadModelOptions are what the one who runs a read model's consumer
// gives it. Pool, Brokers and Logger are required.
type ReadModelOptions struct {
	// Pool runs as the service role: a read model is a tenant table, and
	// the consumer writes it with app.org_id set from each event.
	Pool    *pgxpool.Pool
	Brokers []string
	Logger  *slog.Logger
	// GroupID defaults to the read model's Group; tests use their own.
	GroupID string
	// MaxWait bounds the broker's long poll; default the consumer's (1 s).
	MaxWait time.Duration
	// Topic overrides the context's topic (Topic(m.Context)): a test
	// publishes to a topic of its own instead of wading through every
	// earlier run's events on the shared broker.
	Topic string
}

// NewReadModelConsumer returns the consumer of m with o; call Run to start
// it. A missing dependency is named in the error.
func NewReadModelConsumer(m ReadModel, o ReadModelOptions) (*Consumer, error) {
	if o.GroupID == "" {
		o.GroupID = m.Group
	}
	topic := o.Topic
	if topic == "" {
		topic = Topic(m.Context)
	}
	c, err := NewConsumer(ConsumerConfig{
		Pool:    o.Pool,
		Schema:  m.Schema,
		Brokers: o.Brokers,
		GroupID: o.GroupID,
		Topics:  []string{topic},
		Handler: m.Handler,
		Logger:  o.Logger,
		MaxWait: o.MaxWait,
	})
	if err != nil {
		return nil, fmt.Errorf("events: %s read model: %w", m.Context, err)
	}
	return c, nil
}
