package server

import (
	"reos.dev/pkg/events"
	"reos.dev/services/crm"
	pgstore "reos.dev/services/crm/internal/adapters/postgres"
)

// OutreachTimelineGroup is the Kafka consumer group (and inbox consumer
// name) that puts outreach's events on the lead timeline. A new group
// starts at the oldest retained message of reos.outreach.events.
const OutreachTimelineGroup = "crm-outreach-timeline"

// NewOutreachConsumer returns the consumer that records the events of
// reos.outreach.events naming a lead or a contact in crm.outreach_events
// (see app.ApplyOutreachEvent), shown on the lead timeline; the binary
// runs it as a worker beside the HTTP server. o.GroupID defaults to
// OutreachTimelineGroup.
func NewOutreachConsumer(o ConsumerOptions) (*events.Consumer, error) {
	return events.NewReadModelConsumer(events.ReadModel{
		Schema: crm.Schema, Context: "outreach", Group: OutreachTimelineGroup, Handler: pgstore.OutreachEventHandler(),
	}, o)
}
