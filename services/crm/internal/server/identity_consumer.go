package server

import (
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
	return events.NewReadModelConsumer(events.ReadModel{
		Schema: crm.Schema, Context: "identity", Group: IdentityReadModelGroup, Handler: pgstore.IdentityEventHandler(),
	}, o)
}
