package app

import (
	"context"
	"errors"

	"reos.dev/pkg/events"
)

// EventPropertySnapshot is one property's current state, written by
// `property republish` so that consumers which missed the live events can
// rebuild their read models (crm's known properties). Keyed by the
// property id like the property's other events.
const EventPropertySnapshot = "reos.property.property.snapshot"

// propertySnapshotData is property.created's data as the property is now,
// with whether it is archived (archived properties are sent too, so a
// consumer that missed property.archived learns it).
type propertySnapshotData struct {
	PropertyID     string  `json:"property_id"`
	OrgID          string  `json:"org_id"`
	ListingKey     *string `json:"listing_key,omitempty"`
	PropertyType   string  `json:"property_type"`
	StandardStatus string  `json:"standard_status"`
	ListPriceCents int64   `json:"list_price_cents"`
	City           string  `json:"city"`
	PostalCode     *string `json:"postal_code,omitempty"`
	Archived       bool    `json:"archived"`
}

// PropertySnapshot is one property's state for a snapshot event.
type PropertySnapshot struct {
	ID             string
	ListingKey     *string
	PropertyType   string
	StandardStatus string
	ListPriceCents int64
	City           string
	PostalCode     *string
	Archived       bool
}

// SnapshotStore is the store a republish run reads through.
type SnapshotStore interface {
	// OrgIDs lists at most limit ids of organisations that have
	// properties, after `after` ("" for the first), in id order, across
	// tenants.
	OrgIDs(ctx context.Context, after string, limit int) ([]string, error)
	// InOrg runs fn in one transaction scoped to orgID.
	InOrg(ctx context.Context, orgID string, fn func(SnapshotTx) error) error
}

// SnapshotTx reads properties a batch at a time and writes their snapshot
// events, in one transaction.
type SnapshotTx interface {
	// Properties returns at most limit properties (archived ones too)
	// after `after` ("" for the first), in id order, locked until the
	// transaction ends against the changes that emit events (updates and
	// archiving lock the property for update): such a change either
	// committed before the read, and its event precedes the snapshot on
	// the topic, or waits and follows it. New properties do not wait.
	Properties(ctx context.Context, after string, limit int) ([]PropertySnapshot, error)
	// PublishAll writes one event of eventType per item to the outbox.
	PublishAll(ctx context.Context, eventType, orgID string, items []EventData) error
}

// Republisher snapshots every property of each organisation (`property
// republish`).
func Republisher(store SnapshotStore) (events.Republisher, error) {
	if store == nil {
		return events.Republisher{}, errors.New("app: Republisher: nil store")
	}
	batch := func(ctx context.Context, org, after string, limit int) (string, int, error) {
		var last string
		var n int
		err := store.InOrg(ctx, org, func(tx SnapshotTx) error {
			ps, err := tx.Properties(ctx, after, limit)
			if err != nil || len(ps) == 0 {
				return err
			}
			items := make([]EventData, len(ps))
			for i, p := range ps {
				items[i] = EventData{Key: p.ID, Data: propertySnapshotData{
					PropertyID: p.ID, OrgID: org, ListingKey: p.ListingKey, PropertyType: p.PropertyType,
					StandardStatus: p.StandardStatus, ListPriceCents: p.ListPriceCents, City: p.City,
					PostalCode: p.PostalCode, Archived: p.Archived,
				}}
			}
			last, n = ps[len(ps)-1].ID, len(ps)
			return tx.PublishAll(ctx, EventPropertySnapshot, org, items)
		})
		return last, n, err
	}
	return events.Republisher{Orgs: store.OrgIDs, Kinds: []events.SnapshotKind{{Name: "properties", Batch: batch}}}, nil
}
