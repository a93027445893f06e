package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/events"
	"reos.dev/services/crm/internal/domain"
)

// Property event types crm's read model applies (topic reos.property.events;
// the property service defines them). Every other type on the topic is
// ignored.
const (
	PropertyCreated  = "reos.property.property.created"
	PropertyUpdated  = "reos.property.property.updated"
	PropertyArchived = "reos.property.property.archived"
	// PropertySnapshot is a property's whole state (`property republish`).
	PropertySnapshot = "reos.property.property.snapshot"
)

// PropertyReadModel is the write side of the known-properties read model,
// bound to the consumer's transaction (app.org_id is the event's org).
type PropertyReadModel interface {
	// UpsertKnownProperty records propertyID of orgID as known at `at`.
	// archived nil keeps a known row's flag (a new row is not archived);
	// otherwise the flag is set to *archived.
	UpsertKnownProperty(ctx context.Context, orgID, propertyID string, archived *bool, at time.Time) error
}

// propertyEventData is the part of property's event data the read model
// needs (property sends more).
type propertyEventData struct {
	PropertyID string `json:"property_id"`
	OrgID      string `json:"org_id"`
	// Archived is sent by snapshots; honoured on any of the types.
	Archived *bool `json:"archived"`
}

// ErrBadPropertyEvent marks a property event the read model cannot apply
// (no org, no or malformed property id). The consumer retries it a few times,
// then logs and skips it.
var ErrBadPropertyEvent = errors.New("malformed property event")

// ApplyPropertyEvent applies one event of reos.property.events to the read
// model: created and updated make the property known (updated never revives
// an archived property: property has no unarchive, and PUT on an archived
// property still emits updated), archived marks it archived, and a
// snapshot makes it known and, if it says archived, archives it. Events
// arrive at least once and, across retries, possibly out of order, so each
// is an idempotent upsert and archiving is sticky: the read model keeps
// nothing else, so the order of a snapshot among the live events cannot
// matter. Other types are ignored.
func ApplyPropertyEvent(ctx context.Context, m PropertyReadModel, ev events.Event) error {
	var archived *bool
	switch ev.Type {
	case PropertyCreated, PropertyUpdated, PropertySnapshot:
	case PropertyArchived:
		yes := true
		archived = &yes
	default:
		return nil
	}
	var d propertyEventData
	if err := ev.DecodeData(&d); err != nil {
		return fmt.Errorf("%w: %w", ErrBadPropertyEvent, err)
	}
	if archived == nil && d.Archived != nil && *d.Archived {
		archived = d.Archived
	}
	if d.PropertyID == "" {
		d.PropertyID = ev.Subject // property keys its events by the property id
	}
	id, err := uuid.Parse(d.PropertyID)
	if err != nil {
		return fmt.Errorf("%w: %s %s: property_id %q is not a UUID", ErrBadPropertyEvent, ev.Type, ev.ID, d.PropertyID)
	}
	if ev.OrgID == "" || (d.OrgID != "" && d.OrgID != ev.OrgID) {
		return fmt.Errorf("%w: %s %s: orgid %q, data org_id %q", ErrBadPropertyEvent, ev.Type, ev.ID, ev.OrgID, d.OrgID)
	}
	return m.UpsertKnownProperty(ctx, ev.OrgID, id.String(), archived, ev.Time.UTC())
}

// checkKnownProperties refuses property ids the read model does not know in
// the caller's organisation (another organisation's property is unknown
// here) or knows as archived: one field error per bad id, all naming field
// (a lead's property_ids, a deal's property_id).
func checkKnownProperties(ctx context.Context, tx Tx, field string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	known, err := tx.Properties().Known(ctx, ids)
	if err != nil {
		return err
	}
	var f domain.FieldErrors
	for _, id := range ids {
		archived, ok := known[id]
		switch {
		case !ok:
			f.Add(field, "unknown property "+id)
		case archived:
			f.Add(field, "property "+id+" is archived")
		}
	}
	return f.Err()
}
