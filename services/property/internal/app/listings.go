package app

import (
	"context"
	"slices"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/property/internal/domain"
)

// listingSnapshotData is the whole listing as stored in ListingSnapshot,
// with the API's field names so a snapshot reads like GET /listings/{id}.
type listingSnapshotData struct {
	ID                  string    `json:"id"`
	PropertyID          string    `json:"property_id"`
	ListPriceCents      int64     `json:"list_price_cents"`
	StandardStatus      string    `json:"standard_status"`
	ListingContractDate *string   `json:"listing_contract_date"`
	ExpirationDate      *string   `json:"expiration_date"`
	AgentUserID         *string   `json:"agent_user_id"`
	Remarks             *string   `json:"remarks"`
	Version             int       `json:"version"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

func snapshotOf(l domain.Listing) listingSnapshotData {
	return listingSnapshotData{
		ID: l.ID, PropertyID: l.PropertyID, ListPriceCents: l.ListPriceCents, StandardStatus: l.StandardStatus,
		ListingContractDate: l.ListingContractDate, ExpirationDate: l.ExpirationDate, AgentUserID: l.AgentUserID,
		Remarks: l.Remarks, Version: l.Version, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
}

func listingEvent(l domain.Listing, fields []string, actor string) listingEventData {
	return listingEventData{ListingID: l.ID, PropertyID: l.PropertyID, OrgID: l.OrgID, ListPriceCents: l.ListPriceCents,
		StandardStatus: l.StandardStatus, Version: l.Version, Fields: fields, ActorID: actor}
}

// errPropertyOfListing: a listing for a missing or another organisation's
// property is a 422 naming property_id, like every id in a request body
// that the organisation does not own (an id in the path is a 404).
func errPropertyOfListing() error {
	return apperr.Invalid("property_id", "no property of the organisation has this id")
}

func (s *service) CreateListing(ctx context.Context, propertyID string, f domain.ListingFields) (domain.Listing, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return domain.Listing{}, err
	}
	actor := actorID(p)
	l, err := domain.NewListing(newID(), p.OrgID, propertyID, actor, f, s.now())
	if err != nil {
		return domain.Listing{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := tx.Properties().Get(ctx, propertyID); err != nil {
			if apperr.KindOf(err) == apperr.KindNotFound {
				return errPropertyOfListing()
			}
			return err
		}
		if err := checkAgent(ctx, tx, actor, l.AgentUserID); err != nil {
			return err
		}
		if err := tx.Listings().Create(ctx, l); err != nil {
			return err
		}
		if err := tx.Listings().Snapshot(ctx, l, actor, jsonOf(snapshotOf(l))); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, EventListingCreated, l.ID, l.OrgID, listingEvent(l, nil, actor))
	})
	return l, err
}

func (s *service) GetListing(ctx context.Context, id string) (domain.Listing, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return domain.Listing{}, err
	}
	if err := parseID("id", id); err != nil {
		return domain.Listing{}, err
	}
	var l domain.Listing
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		l, err = tx.Listings().Get(ctx, id)
		return err
	})
	return l, err
}

func (s *service) UpdateListing(ctx context.Context, id string, f domain.ListingFields) (domain.Listing, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return domain.Listing{}, err
	}
	if err := parseID("id", id); err != nil {
		return domain.Listing{}, err
	}
	actor := actorID(p)
	var l domain.Listing
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if l, err = tx.Listings().GetForUpdate(ctx, id); err != nil {
			return err
		}
		ch, err := l.Update(f, s.now())
		if err != nil || len(ch.Fields) == 0 {
			return err
		}
		// Only a new agent is checked: a listing keeps an agent identity
		// deleted later, and PUTting it back unchanged is no new reference.
		if slices.Contains(ch.Fields, "agent_user_id") {
			if err := checkAgent(ctx, tx, actor, l.AgentUserID); err != nil {
				return err
			}
		}
		if err := tx.Listings().Update(ctx, l); err != nil {
			return err
		}
		if err := tx.Listings().Snapshot(ctx, l, actor, jsonOf(snapshotOf(l))); err != nil {
			return err
		}
		ev := tx.Events()
		if err := ev.Publish(ctx, EventListingUpdated, l.ID, l.OrgID, listingEvent(l, ch.Fields, actor)); err != nil {
			return err
		}
		if ch.StatusChanged {
			if err := ev.Publish(ctx, EventListingStatusChanged, l.ID, l.OrgID, statusChangedData{
				ListingID: l.ID, PropertyID: l.PropertyID, OrgID: l.OrgID, OldStatus: ch.OldStatus,
				NewStatus: l.StandardStatus, ActorID: actor,
			}); err != nil {
				return err
			}
		}
		if ch.PriceChanged {
			return ev.Publish(ctx, EventListingPriceChanged, l.ID, l.OrgID, priceChangedData{
				ListingID: l.ID, PropertyID: l.PropertyID, OrgID: l.OrgID, Source: "listing",
				OldPriceCents: ch.OldPrice, NewPriceCents: l.ListPriceCents, ActorID: actor,
			})
		}
		return nil
	})
	return l, err
}

func (s *service) ListListings(ctx context.Context, q ListingQuery) (Page[domain.Listing], error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return Page[domain.Listing]{}, err
	}
	if q.Sort == "" {
		q.Sort, q.Desc = SortCreatedAt, true
	}
	if err := validateSort(q.Sort); err != nil {
		return Page[domain.Listing]{}, err
	}
	var errs apperr.Fields
	for _, st := range q.Statuses {
		if !domain.ValidStandardStatus(st) {
			errs.Add("status", st+" is not a RESO StandardStatus")
		}
	}
	if q.PropertyID != nil && parseID("property_id", *q.PropertyID) != nil {
		errs.Add("property_id", "must be a UUID")
	}
	if q.AgentUserID != nil && parseID("agent_user_id", *q.AgentUserID) != nil {
		errs.Add("agent_user_id", "must be a UUID")
	}
	if err := errs.Err(); err != nil {
		return Page[domain.Listing]{}, err
	}
	var page Page[domain.Listing]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		page, err = tx.Listings().List(ctx, q)
		return err
	})
	return page, err
}

func (s *service) ListingSnapshots(ctx context.Context, id string, limit int, cursor string) (Page[ListingSnapshot], error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return Page[ListingSnapshot]{}, err
	}
	if err := parseID("id", id); err != nil {
		return Page[ListingSnapshot]{}, err
	}
	var page Page[ListingSnapshot]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := tx.Listings().Get(ctx, id); err != nil {
			return err
		}
		page, err = tx.Listings().Snapshots(ctx, id, limit, cursor)
		return err
	})
	return page, err
}
