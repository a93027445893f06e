package server

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"reos.dev/pkg/events"
	"reos.dev/services/property"
	pgstore "reos.dev/services/property/internal/adapters/postgres"
)

// IdentityReadModelGroup is the Kafka consumer group (and inbox consumer
// name) of property's users read model. A new group starts at the oldest
// retained message of reos.identity.events; `identity republish` fills in
// what the topic no longer holds.
const IdentityReadModelGroup = "property-identity-read-model"

// ConsumerOptions configure NewIdentityConsumer. Pool, Brokers and Logger
// are required.
type ConsumerOptions struct {
	// Pool runs as the service role: the read model is a tenant table and
	// the consumer writes it with app.org_id set from each event.
	Pool    *pgxpool.Pool
	Brokers []string
	Logger  *slog.Logger
	// GroupID defaults to IdentityReadModelGroup; tests use their own.
	GroupID string
	// MaxWait bounds the broker's long poll; default the consumer's (1 s).
	MaxWait time.Duration
}

// NewIdentityConsumer returns the consumer that feeds property.known_users
// from reos.identity.events (pkg/events parses identity's user events,
// app.ApplyUserChange applies them); the binary runs it as a worker beside
// the HTTP server.
func NewIdentityConsumer(o ConsumerOptions) (*events.Consumer, error) {
	if o.Pool == nil {
		return nil, errors.New("server: NewIdentityConsumer: nil Pool")
	}
	if o.GroupID == "" {
		o.GroupID = IdentityReadModelGroup
	}
	handler, err := pgstore.UserEventHandler()
	if err != nil {
		return nil, err
	}
	c, err := events.NewConsumer(events.ConsumerConfig{
		Pool:    o.Pool,
		Schema:  property.Schema,
		Brokers: o.Brokers,
		GroupID: o.GroupID,
		Topics:  []string{events.Topic("identity")},
		Handler: handler,
		Logger:  o.Logger,
		MaxWait: o.MaxWait,
	})
	if err != nil {
		return nil, fmt.Errorf("server: identity consumer: %w", err)
	}
	return c, nil
}
