package server

import (
	"reos.dev/pkg/events"
	"reos.dev/services/property"
	pgstore "reos.dev/services/property/internal/adapters/postgres"
)

// IdentityReadModelGroup is the Kafka consumer group (and inbox consumer
// name) of property's users read model. A new group starts at the oldest
// retained message of reos.identity.events; `identity republish` fills in
// what the topic no longer holds.
const IdentityReadModelGroup = "property-identity-read-model"

// ConsumerOptions configure NewIdentityConsumer: Pool, Brokers and Logger
// are required; GroupID defaults to IdentityReadModelGroup.
type ConsumerOptions = events.ReadModelOptions

// NewIdentityConsumer returns the consumer that feeds property.known_users
// from reos.identity.events (pkg/events parses identity's user events,
// app.ApplyUserChange applies them); the binary runs it as a worker beside
// the HTTP server.
func NewIdentityConsumer(o ConsumerOptions) (*events.Consumer, error) {
	handler, err := pgstore.UserEventHandler()
	if err != nil {
		return nil, err
	}
	return events.NewReadModelConsumer(events.ReadModel{
		Schema: property.Schema, Context: "identity", Group: IdentityReadModelGroup, Handler: handler,
	}, o)
}
