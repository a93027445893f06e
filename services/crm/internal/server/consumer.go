package server

import (
	"reos.dev/pkg/events"
	"reos.dev/services/crm"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
)

// PropertyReadModelGroup is the Kafka consumer group (and inbox consumer
// name) of crm's property read model. A new group starts at the oldest
// retained message of reos.property.events, so a fresh crm catches up on
// every property the topic still holds.
const PropertyReadModelGroup = "crm-property-read-model"

// ConsumerOptions configure NewPropertyConsumer and NewIdentityConsumer:
// Pool, Brokers and Logger are required; GroupID defaults to the read
// model's group.
type ConsumerOptions = events.ReadModelOptions

// NewPropertyConsumer returns the consumer that feeds crm.known_properties
// from reos.property.events (see app.ApplyPropertyEvent); the binary runs
// it as a worker beside the HTTP server. o.GroupID defaults to
// PropertyReadModelGroup.
func NewPropertyConsumer(o ConsumerOptions) (*events.Consumer, error) {
	return events.NewReadModelConsumer(events.ReadModel{
		Schema: crm.Schema, Context: "property", Group: PropertyReadModelGroup, Handler: pgstore.PropertyEventHandler(),
	}, o)
}
