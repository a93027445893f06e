package server

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/pkg/service"
	"reos.dev/services/crm"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
)

// PropertyReadModelGroup is the Kafka consumer group (and inbox consumer
// name) of crm's property read model. A new group starts at the oldest
// retained message of reos.property.events, so a fresh crm catches up on
// every property the topic still holds.
const PropertyReadModelGroup = "crm-property-read-model"

// ConsumerOptions configure NewPropertyConsumer and NewIdentityConsumer.
// Pool, Brokers and Logger are required (service.RequireFields).
type ConsumerOptions struct {
	// Pool runs as the service role: the read model is a tenant table and
	// the consumer writes it with app.org_id set from each event.
	Pool    *pgxpool.Pool
	Brokers []string
	Logger  *slog.Logger
	// GroupID defaults to the read model's group; tests use their own.
	GroupID string
	// MaxWait bounds the broker's long poll; default the consumer's (1 s).
	MaxWait time.Duration
}

// NewPropertyConsumer returns the consumer that feeds crm.known_properties
// from reos.property.events (see app.ApplyPropertyEvent); the binary runs
// it as a worker beside the HTTP server. o.GroupID defaults to
// PropertyReadModelGroup.
func NewPropertyConsumer(o ConsumerOptions) (*events.Consumer, error) {
	return newReadModelConsumer("server.NewPropertyConsumer", o, PropertyReadModelGroup, "property", pgstore.PropertyEventHandler())
}

// newReadModelConsumer is a consumer of context's topic applying each
// event with handler in crm's schema (its inbox makes redeliveries
// harmless), in group o.GroupID or else defaultGroup.
func newReadModelConsumer(what string, o ConsumerOptions, defaultGroup, context string, handler events.Handler) (*events.Consumer, error) {
	if err := service.RequireFields(what, o); err != nil {
		return nil, err
	}
	if o.GroupID == "" {
		o.GroupID = defaultGroup
	}
	c, err := events.NewConsumer(events.ConsumerConfig{
		Pool:    o.Pool,
		Schema:  crm.Schema,
		Brokers: o.Brokers,
		GroupID: o.GroupID,
		Topics:  []string{events.Topic(context)},
		Handler: handler,
		Logger:  o.Logger,
		MaxWait: o.MaxWait,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}
