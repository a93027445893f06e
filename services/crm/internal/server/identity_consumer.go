package server

import (
	"errors"
	"fmt"

	"reos.dev/pkg/events"
	"reos.dev/services/crm"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
)

// IdentityReadModelGroup is the Kafka consumer group (and inbox consumer
// name) of crm's users and teams read model. A new group starts at the
// oldest retained message of reos.identity.events.
const IdentityReadModelGroup = "crm-identity-read-model"

// NewIdentityConsumer returns the consumer that feeds crm.known_users,
// crm.known_teams and crm.known_team_members from reos.identity.events (see
// app.ApplyIdentityEvent); the binary runs it as a worker beside the HTTP
// server. o.GroupID defaults to IdentityReadModelGroup.
func NewIdentityConsumer(o ConsumerOptions) (*events.Consumer, error) {
	if o.Pool == nil {
		return nil, errors.New("server: NewIdentityConsumer: nil Pool")
	}
	if o.GroupID == "" {
		o.GroupID = IdentityReadModelGroup
	}
	c, err := events.NewConsumer(events.ConsumerConfig{
		Pool:    o.Pool,
		Schema:  crm.Schema,
		Brokers: o.Brokers,
		GroupID: o.GroupID,
		Topics:  []string{events.Topic("identity")},
		Handler: pgstore.IdentityEventHandler(),
		Logger:  o.Logger,
		MaxWait: o.MaxWait,
	})
	if err != nil {
		return nil, fmt.Errorf("server: identity consumer: %w", err)
	}
	return c, nil
}
