package server

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/services/crm"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
)

// PropertyReadModelGroup is the Kafka consumer group (and inbox consumer
// name) of crm's property read model. A new group starts at the oldest
// retained message of reos.property.events, so a fresh crm catches up on
// every property the topic still holds.
const PropertyReadModelGroup = "crm-property-read-model"

// ConsumerOptions configure NewPropertyConsumer. Pool, Brokers and Logger
// are required.
type ConsumerOptions struct {
	// Pool runs as the service role: the read model is a tenant table and
	// the consumer writes it with app.org_id set from each event.
	Pool    *pgxpool.Pool
	Brokers []string
	Logger  *slog.Logger
	// GroupID defaults to PropertyReadModelGroup; tests use their own.
	GroupID string
	// MaxWait bounds the broker's long poll; default the consumer's (1 s).
	MaxWait time.Duration
}

// NewPropertyConsumer returns the consumer that feeds crm.known_properties
// from reos.property.events (see app.ApplyPropertyEvent); the binary runs
// it as a worker beside the HTTP server.
func NewPropertyConsumer(o ConsumerOptions) (*events.Consumer, error) {
	if o.Pool == nil {
		return nil, errors.New("server: NewPropertyConsumer: nil Pool")
	}
	if o.GroupID == "" {
		o.GroupID = PropertyReadModelGroup
	}
	c, err := events.NewConsumer(events.ConsumerConfig{
		Pool:    o.Pool,
		Schema:  crm.Schema,
		Brokers: o.Brokers,
		GroupID: o.GroupID,
		Topics:  []string{events.Topic("property")},
		Handler: pgstore.PropertyEventHandler(),
		Logger:  o.Logger,
		MaxWait: o.MaxWait,
	})
	if err != nil {
		return nil, fmt.Errorf("server: property consumer: %w", err)
	}
	return c, nil
}
