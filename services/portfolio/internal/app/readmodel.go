package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"reos.dev/pkg/datetime"
	"reos.dev/pkg/events"
	"reos.dev/services/portfolio/internal/domain"
)

// Property event types the read model applies (topic reos.property.events;
// the property service defines them). Every other type on the topic is
// ignored, valuation.failed included: a failed valuation leaves the last
// mark standing.
const (
	PropertyCreated    = "reos.property.property.created"
	PropertyUpdated    = "reos.property.property.updated"
	PropertyArchived   = "reos.property.property.archived"
	PropertySnapshot   = "reos.property.property.snapshot"
	ValuationCompleted = "reos.property.valuation.completed"
)

// Where a mark came from.
const (
	MarkSourceEvent    = "event"
	MarkSourceProperty = "property_api"
)

// ErrBadPropertyEvent marks a property event the read model cannot apply
// (no org, a malformed id or date). The consumer retries it a few times,
// then logs and skips it.
var ErrBadPropertyEvent = errors.New("malformed property event")

type propertyEventData struct {
	PropertyID string `json:"property_id"`
	OrgID      string `json:"org_id"`
	Archived   *bool  `json:"archived"`
}

type valuationEventData struct {
	ValuationID   string `json:"valuation_id"`
	PropertyID    string `json:"property_id"`
	OrgID         string `json:"org_id"`
	AsOf          string `json:"as_of"`
	Method        string `json:"method"`
	EstimateCents int64  `json:"estimate_cents"`
	LowCents      int64  `json:"low_cents"`
	HighCents     int64  `json:"high_cents"`
	Confidence    int    `json:"confidence"`
}

// ApplyPropertyEvent applies one event of reos.property.events to the read
// model. Property events make the property known (archived is sticky);
// valuation.completed adds the valuation, which is final, keyed by its id:
// a duplicate changes nothing, and the mark is always the newest
// valuation (as_of, then completion time), whatever order they arrive in.
// So the model can be rebuilt from the topic (or `property republish`)
// into the same state.
func ApplyPropertyEvent(ctx context.Context, m PropertyReadModel, ev events.Event) error {
	switch ev.Type {
	case PropertyCreated, PropertyUpdated, PropertySnapshot, PropertyArchived:
		var d propertyEventData
		if err := ev.DecodeData(&d); err != nil {
			return fmt.Errorf("%w: %w", ErrBadPropertyEvent, err)
		}
		id, err := eventIDs(ev, d.PropertyID, d.OrgID)
		if err != nil {
			return err
		}
		archived := d.Archived
		if ev.Type == PropertyArchived {
			yes := true
			archived = &yes
		} else if archived != nil && !*archived {
			archived = nil // never unarchives
		}
		return m.UpsertKnown(ctx, ev.OrgID, id, archived, ev.Time.UTC())
	case ValuationCompleted:
		var d valuationEventData
		if err := ev.DecodeData(&d); err != nil {
			return fmt.Errorf("%w: %w", ErrBadPropertyEvent, err)
		}
		pid, err := eventIDs(ev, d.PropertyID, d.OrgID)
		if err != nil {
			return err
		}
		vid, err := uuid.Parse(d.ValuationID)
		if err != nil {
			return fmt.Errorf("%w: %s %s: valuation_id %q", ErrBadPropertyEvent, ev.Type, ev.ID, d.ValuationID)
		}
		asOf, err := datetime.ParseDate(d.AsOf)
		if err != nil || d.EstimateCents <= 0 {
			return fmt.Errorf("%w: %s %s: as_of %q, estimate %d", ErrBadPropertyEvent, ev.Type, ev.ID, d.AsOf, d.EstimateCents)
		}
		at := ev.Time.UTC().Truncate(time.Microsecond)
		if err := m.UpsertKnown(ctx, ev.OrgID, pid, nil, at); err != nil {
			return err
		}
		return m.AddValuation(ctx, ev.OrgID, domain.Mark{ValuationID: vid.String(), PropertyID: pid, AsOf: asOf,
			EstimateCents: d.EstimateCents, LowCents: d.LowCents, HighCents: d.HighCents, Confidence: d.Confidence,
			Method: d.Method, CompletedAt: at, Source: MarkSourceEvent})
	}
	return nil
}

// eventIDs checks an event's organisation and returns its property id in
// canonical form (property keys its events by the property id).
func eventIDs(ev events.Event, propertyID, orgID string) (string, error) {
	if propertyID == "" {
		propertyID = ev.Subject
	}
	id, err := uuid.Parse(propertyID)
	if err != nil {
		return "", fmt.Errorf("%w: %s %s: property_id %q is not a UUID", ErrBadPropertyEvent, ev.Type, ev.ID, propertyID)
	}
	if ev.OrgID == "" || (orgID != "" && orgID != ev.OrgID) {
		return "", fmt.Errorf("%w: %s %s: orgid %q, data org_id %q", ErrBadPropertyEvent, ev.Type, ev.ID, ev.OrgID, orgID)
	}
	return id.String(), nil
}
